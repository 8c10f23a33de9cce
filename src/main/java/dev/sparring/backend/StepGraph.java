package dev.sparring.backend;

/**
 * A training step that a backend records once and then replays, so that the host no longer issues each of its
 * operations: on CUDA, a CUDA graph (see {@link Backend#stepGraph()}).
 *
 * <p>{@link #run} is called once per step with the step's code. The code runs on the host at every call, as it
 * would without a graph, so everything the host keeps (optimizer step counts, noise counters, the position in the
 * data, batch-norm counters) advances as usual; the backend decides whether its operations run one by one, are
 * captured, or are only checked against the captured ones while the graph replays them. What changes from one
 * step to the next (learning rates, noise counters, batch offsets, metric rows, small host copies) travels in a
 * step record that the backend uploads before each replay, so a replay computes exactly what the step's code asked
 * for. Results equal those of running the code without a graph.
 *
 * <p>The code must run the same operations on the same tensors at every call, must not allocate device memory
 * once warm, and must not read results back (no {@link Backend#download}, no {@link Backend#synchronize}). A step
 * that breaks this is refused with an {@link IllegalStateException} that names the operation. When device memory
 * was allocated or freed between two steps (for example by writing samples of another batch size), the next step
 * runs op by op and the one after is captured again.
 */
public interface StepGraph extends AutoCloseable {

    /** Runs one step: {@code step} performs its operations on the backend that made this graph. */
    void run(Runnable step);

    /** Steps run op by op, captured, and replayed so far, and the operations in the graph; for logs and tests. */
    Stats stats();

    /** Releases the graph (queued work finishes first where the backend needs that). */
    @Override
    void close();

    /**
     * @param eager      steps run op by op (the first, and the first after memory changed)
     * @param captured   steps that were captured (each also ran)
     * @param replayed   steps that replayed a graph without capturing
     * @param operations operations of the current graph (0 before the first capture)
     */
    record Stats(long eager, long captured, long replayed, long operations) { }
}
