package dev.sparring.data;

/**
 * What the trainer samples real examples from: an image set held in memory ({@link ImageDataset}) or an infinite 2-D
 * sampler ({@link Mixture2D}). {@link Datasets#open} builds one from the --data flag.
 */
public interface Dataset {
    /** A short name for logs and checkpoints ("mnist", "ring8", a folder or file name). */
    String name();

    /** Number of items; {@link Integer#MAX_VALUE} for an infinite sampler. */
    int size();

    /** Shape of one item: (C, H, W) for images, (2) for points in the plane. */
    int[] itemShape();
}
