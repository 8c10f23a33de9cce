package dev.sparring.backend;

/**
 * A GAN loss's second derivatives φ'', ψ'', β'' as {@link ScalarProgram}s, for second-order passes through the loss
 * (consensus optimization differentiates the players' gradients, which depend on φ'(t), ψ'(t), β'(t)); evaluated by
 * {@link Backend#lossCurvature}. Made by {@code gan.loss.GanLoss.curvature()} from its symbolic derivatives.
 */
public record LossCurvature(String name, ScalarProgram d2phi, ScalarProgram d2psi, ScalarProgram d2beta) {
}
