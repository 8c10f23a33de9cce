package dev.sparring.backend;

/**
 * What a backend needs to evaluate a GAN loss (phi, psi, beta) and its derivatives on a batch of raw critic
 * outputs t, in one fused operation. The critic maximises E_real phi(t) + E_fake psi(t); the generator
 * minimises E_fake beta(t). Each function is a {@link ScalarProgram}, so the CPU interprets exactly the
 * same program that the GPU kernel runs.
 */
public record LossKernel(String name,
                         ScalarProgram phi, ScalarProgram dphi,
                         ScalarProgram psi, ScalarProgram dpsi,
                         ScalarProgram beta, ScalarProgram dbeta) {
}
