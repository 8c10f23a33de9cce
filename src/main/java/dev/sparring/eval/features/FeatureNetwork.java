package dev.sparring.eval.features;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

/**
 * A fixed, trained network that turns images into feature vectors, for measuring generated samples against real ones
 * (FID, KID, precision and recall work on such vectors). Images come in Sparring's convention: NCHW float32 in
 * [-1, 1], as the generators write them and the trainer feeds real ones; features are float32 rows.
 *
 * <p>An implementation runs on the backend it was loaded on; its tensors belong to that backend, and so must the
 * images passed in.
 */
public interface FeatureNetwork {
    /** A short name for reports and file names ("mnist"). */
    String name();

    /** The length F of one feature vector. */
    int featureSize();

    /** Channels C of the images it takes. */
    int channels();

    /** Side of the square images it takes (height = width). */
    int imageSize();

    /** The backend its weights live on. */
    Backend backend();

    /**
     * The features of a batch: images (N, C, S, S) in [-1, 1] on {@link #backend()}, features N rows of
     * {@link #featureSize()} floats, row-major (sample i at [i F, (i + 1) F)). Batch norm uses its running statistics,
     * so a sample's features do not depend on the rest of the batch.
     */
    float[] features(Tensor images);

    /**
     * The features of a batch as a tensor (N, {@link #featureSize()}) F32 on {@link #backend()}, without a copy to the
     * host (on a GPU, for {@code Backend.featureMoments}); owned by the network and valid until its next call.
     */
    Tensor featureTensor(Tensor images);
}
