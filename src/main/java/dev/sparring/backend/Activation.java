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

    /**
     * Second derivative f''(x) in terms of x and y = f(x), as the double backward uses it: 0 for ReLU and LeakyReLU
     * (their f' is piecewise constant; at the kink x = 0 neither f' nor f'' exists and 0 is what they take),
     * f'' = -2 y (1 - y^2) for Tanh and y (1 - y) (1 - 2y) for Sigmoid.
     */
    public double secondDerivative(double x, double y, double alpha) {
        return switch (this) {
            case RELU, LEAKY_RELU -> 0;
            case TANH -> -2 * y * (1 - y * y);
            case SIGMOID -> y * (1 - y) * (1 - 2 * y);
        };
    }
}
