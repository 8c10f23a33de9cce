package dev.sparring.io;

import java.io.IOException;

/** A safetensors file is malformed, truncated or not a safetensors file; the message names the file. */
public class SafeTensorsException extends IOException {
    public SafeTensorsException(String message) { super(message); }

    public SafeTensorsException(String message, Throwable cause) { super(message, cause); }
}
