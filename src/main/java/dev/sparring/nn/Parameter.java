package dev.sparring.nn;

import dev.sparring.tensor.Tensor;

/** A trainable tensor and its gradient (same shape, accumulated by backward, zeroed by zeroGrad). */
public record Parameter(String name, Tensor value, Tensor grad) {
}
