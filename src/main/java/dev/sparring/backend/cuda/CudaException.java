package dev.sparring.backend.cuda;

import dev.sparring.backend.BackendException;

/**
 * A CUDA library call failed, or a library or symbol could not be loaded. Carries the library ("CUDA driver",
 * "cuBLAS", "cuDNN"), the function and the status code, and the library's own error text in the message.
 */
public final class CudaException extends BackendException {
    private final String library;
    private final String function;
    private final int status;

    public CudaException(String library, String function, int status, String message) {
        super(message);
        this.library = library;
        this.function = function;
        this.status = status;
    }

    /** A failure to find or load a library or symbol (no status code). */
    public CudaException(String library, String message) {
        this(library, null, -1, message);
    }

    public String library() { return library; }

    /** The native function that failed, or null when the library itself could not be loaded. */
    public String function() { return function; }

    /** The library's status code, or -1 when there is none. */
    public int status() { return status; }
}
