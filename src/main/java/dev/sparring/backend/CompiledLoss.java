package dev.sparring.backend;

/**
 * A GAN loss compiled for the backends: what a backend needs to evaluate the loss (phi, psi, beta) and its
 * derivatives on a batch of raw critic outputs t, in one fused operation. The critic maximises
 * E_real phi(t) + E_fake psi(t); the generator minimises E_fake beta(t). Each function is a {@link ScalarProgram},
 * so the CPU interprets exactly the same program that the GPU kernel runs.
 *
 * <p>One loss, three types, one per layer: {@code gan.loss.GanLoss} is the loss itself (formulas, design check,
 * recommended settings), and {@code GanLoss.compiled()} makes this, its compiled programs, which is all a backend
 * sees; {@code train.TrainLoss} is what the trainer takes: this plus the loss's spec and equilibrium values.
 */
public record CompiledLoss(String name,
                           ScalarProgram phi, ScalarProgram dphi,
                           ScalarProgram psi, ScalarProgram dpsi,
                           ScalarProgram beta, ScalarProgram dbeta) {
}
