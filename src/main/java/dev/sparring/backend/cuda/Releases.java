package dev.sparring.backend.cuda;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What an object of the backend made (contexts, streams, handles, modules, events, device memory), to be released in
 * reverse order: when the object closes, or at once when its construction fails part-way, so that a failed start
 * (and a fallback to the CPU) leaves nothing behind.
 */
final class Releases {
    private final Deque<Runnable> stack = new ArrayDeque<>();

    /** Notes how to release something just made. */
    void push(Runnable release) { stack.push(release); }

    /**
     * Runs every release, last made first, each even when one before it fails. With a {@code cause} (a failed
     * construction) their failures are added to it; without, the first failure is thrown once all have run.
     */
    void releaseAll(Throwable cause) {
        RuntimeException first = null;
        while (!stack.isEmpty()) {
            try {
                stack.pop().run();
            } catch (RuntimeException e) {
                if (cause != null) cause.addSuppressed(e);
                else if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
