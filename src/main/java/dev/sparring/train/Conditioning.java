package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Dataset;
import dev.sparring.data.ImageDataset;
import dev.sparring.tensor.Tensor;

/**
 * The labels of a class-conditional run ({@link TrainConfig#conditional()}): which data can be trained on, and the
 * labels the generator is given.
 *
 * <ul>
 *   <li>Real batches carry the labels of their images, gathered on the device from a one-hot table (N, K) with the
 *       same epoch order and the same op as the images ({@link RealBatches}), so the two cannot drift apart.</li>
 *   <li>Fake batches get labels drawn uniformly from the stream (seed, "labels"), one block per label, as
 *       PyTorch-StudioGAN samples its fake labels; no other stream moves, so an unconditional run trains as before.</li>
 *   <li>Samples for grids and evaluations ({@code sample}, {@code classify}, {@code fid}, the FID during training) are
 *       balanced: sample i has label i mod K ({@link #balanced}). A grid shows one row per class ({@link #byClassRows}).</li>
 * </ul>
 */
public final class Conditioning {
    private Conditioning() { }

    /**
     * The number of classes K of {@code data}'s labels for {@code cfg}, a conditional run: the largest label + 1, or
     * {@code cfg.classes()} when the run already has it (resumed). Refuses, in one line naming --data, data without
     * labels, labels of one class only, a class in [0, K) that no image has, and labels outside a resumed run's classes.
     */
    static int classes(Dataset data, TrainConfig cfg) {
        String what = "--conditional: --data " + cfg.data();
        if (!(data instanceof ImageDataset img)) {
            throw new UserError(what + " is 2-D points; conditioning needs labelled images (MNIST, IDX with labels, class subfolders)");
        }
        int[] labels = img.labels();
        if (labels == null) {
            throw new UserError(what + " has no labels (IDX images: give their labels file too, idx:IMAGES,LABELS; an image folder: "
                    + "put each class's images in a subfolder of their own, FOLDER/CLASS/...)");
        }
        int max = -1, min = Integer.MAX_VALUE;
        for (int y : labels) {
            max = Math.max(max, y);
            min = Math.min(min, y);
        }
        if (min < 0) throw new UserError(what + ": label " + min + " is negative");
        int k = cfg.classes() > 0 ? cfg.classes() : max + 1;
        if (max >= k) {
            throw new UserError(what + " has label " + max + " (" + className(img, max) + "), out of the run's " + k
                    + " classes (0 to " + (k - 1) + ")");
        }
        int[] count = new int[k];
        for (int y : labels) count[y]++;
        int present = 0;
        for (int c : count) if (c > 0) present++;
        if (present == 1) {
            throw new UserError(what + " has one class only (" + (img.classNames() != null ? "every image is in its subfolder '"
                    + img.classNames().get(max) + "'" : "every label is " + max) + "): conditioning needs 2 classes or more");
        }
        for (int c = 0; c < k; c++) {
            if (count[c] == 0) {
                throw new UserError(what + " has labels 0 to " + (k - 1) + " but no image of class " + c
                        + ": every class from 0 to " + (k - 1) + " needs images");
            }
        }
        if ((long) img.size() * k > Integer.MAX_VALUE - 8) {
            throw new UserError(what + ": " + img.size() + " images of " + k + " classes are too many for the one-hot label table (2^31 bytes)");
        }
        return k;
    }

    private static String className(ImageDataset img, int label) {
        return img.classNames() != null && label < img.classNames().size() ? "'" + img.classNames().get(label) + "'" : "label " + label;
    }

    /** The one-hot table of N labels, (N, K) uint8, that {@link RealBatches} gathers real labels from. */
    static byte[] onehotTable(int[] labels, int k) {
        byte[] t = new byte[labels.length * k];
        for (int i = 0; i < labels.length; i++) t[i * k + labels[i]] = 1;
        return t;
    }

    /** Writes the one-hot rows (n, K) of {@code labels[0 .. n)} into out. */
    public static void onehot(int[] labels, int n, int k, float[] out) {
        java.util.Arrays.fill(out, 0, n * k, 0f);
        for (int i = 0; i < n; i++) out[i * k + labels[i]] = 1f;
    }

    /** G's input [z, onehot(y)] (N, nz + K, 1, 1) written into {@code into}, for z (N, nz, 1, 1) and one-hot labels (N, K). */
    public static Tensor generatorInput(Backend be, Tensor z, Tensor onehot, Tensor into) {
        int n = z.dim(0), nz = z.dim(1), k = onehot.dim(1);
        be.copyChannels(into, 0, z, 0, nz);
        be.copyChannels(into, nz, be.view(onehot, n, k, 1, 1), 0, k);
        return into;
    }

    /** The label of the i-th sample drawn for a grid or an evaluation: i mod K (balanced classes). */
    public static int balanced(long i, int k) { return (int) (i % k); }

    /**
     * Samples (n, item) whose labels are {@link #balanced} (i mod K) rearranged for a grid of K rows, one per class, and
     * n / K columns: row r holds samples r, r + K, r + 2K, ... in order. n must be a multiple of K.
     */
    public static float[] byClassRows(float[] samples, int n, int k, int item) {
        if (n % k != 0) throw new IllegalArgumentException("byClassRows: " + n + " samples for " + k + " rows");
        int cols = n / k;
        float[] out = new float[n * item];
        for (int i = 0; i < n; i++) {
            int row = i % k, col = i / k;
            System.arraycopy(samples, i * item, out, (row * cols + col) * item, item);
        }
        return out;
    }
}
