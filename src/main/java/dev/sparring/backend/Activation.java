package dev.sparring.backend;

/** Pointwise activations. {@code alpha} is the negative slope of LeakyReLU and is ignored by the others. */
public enum Activation {
    RELU, LEAKY_RELU, TANH, SIGMOID;

    /** Value f(x), in double; the backends' reference formulas. */
    public double apply(double x, double alpha) {
        return switch (this) {
            case RELU -> x > 0 ? x : 0;
            case LEAKY_RELU -> x > 0 ? x : alpha * x;
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        };
    }

    /** Derivative f'(x) written in terms of the input x and the output y = f(x), as backward uses it. */
    public double derivative(double x, double y, double alpha) {
        return switch (this) {
            case RELU -> x > 0 ? 1 : 0;
            case LEAKY_RELU -> x > 0 ? 1 : alpha;
            case TANH -> 1 - y * y;
            case SIGMOID -> y * (1 - y);
        };
    }
}
