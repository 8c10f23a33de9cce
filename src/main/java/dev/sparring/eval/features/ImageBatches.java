package dev.sparring.eval.features;

import dev.sparring.backend.Backend;
import dev.sparring.data.ImageDataset;
import dev.sparring.tensor.Tensor;

/** Image sets of any size and channels, uploaded in batches in the networks' [-1, 1] convention (k / 127.5 - 1). */
public final class ImageBatches {
    private ImageBatches() { }

    /**
     * The first {@code count} images of {@code data}, as they are (C, H, W), uploaded to {@code be} as tensors
     * (n, C, H, W) of at most {@code batch} images; {@code body} gets each with the index of its first image.
     */
    public static void forEach(Backend be, ImageDataset data, int count, int batch, MnistClassifierTraining.ImageBatch body) {
        if (count < 0 || count > data.size()) throw new IllegalArgumentException("count " + count + " of " + data.size() + " images");
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        int c = data.channels(), h = data.height(), w = data.width(), per = c * h * w;
        byte[] px = data.pixels();
        Tensor images = null;
        try {
            for (int start = 0; start < count; start += batch) {
                int n = Math.min(batch, count - start);
                float[] x = new float[n * per];                                 // (n, C, H, W)
                for (int i = 0; i < x.length; i++) x[i] = (px[start * per + i] & 0xFF) / 127.5f - 1f;
                if (images == null || images.dim(0) != n) {
                    if (images != null) images.close();
                    images = be.zeros(n, c, h, w);
                }
                be.copyFromHost(x, images);
                body.accept(start, images);
            }
        } finally {
            if (images != null) images.close();
        }
    }
}
