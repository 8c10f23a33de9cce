package dev.sparring.train;

import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ScalarProgram;

import static dev.sparring.backend.ScalarProgram.*;

/** Hand-compiled losses for trainer tests, independent of the loss workshop's compiler. */
final class TestLosses {
    private TestLosses() { }

    private static ScalarProgram p(int... code) { return new ScalarProgram(code, new double[0]); }

    /**
     * Non-saturating GAN: phi = log sigmoid(t), psi = log sigmoid(-t), beta = -log sigmoid(t) (= softplus(-t));
     * equilibrium critic loss 2 ln 2, generator loss ln 2.
     */
    static TrainLoss nonSaturating() {
        CompiledLoss k = new CompiledLoss("ns",
                p(T, LOG_SIGMOID), p(T, NEG, SIGMOID),          // phi, phi' = sigmoid(-t)
                p(T, NEG, LOG_SIGMOID), p(T, SIGMOID, NEG),     // psi, psi' = -sigmoid(t)
                p(T, NEG, SOFTPLUS), p(T, NEG, SIGMOID, NEG));  // beta, beta' = -sigmoid(-t)
        return new TrainLoss("ns", k, 2 * Math.log(2), Math.log(2));
    }

    private static ScalarProgram constant(double c) { return new ScalarProgram(new int[]{CONST, 0}, new double[]{c}); }

    /** A loss whose critic objective is log(t): NaN as soon as the critic outputs a negative number. */
    static TrainLoss nanProne() {
        CompiledLoss k = new CompiledLoss("nan",
                p(T, LOG), new ScalarProgram(new int[]{CONST, 0, T, DIV}, new double[]{1}),   // phi = log t, phi' = 1/t
                p(T, NEG), constant(-1),                                                       // psi = -t
                p(T, NEG), constant(-1));                                                      // beta = -t
        return new TrainLoss("nan", k, Double.NaN, Double.NaN);
    }
}
