package dev.sparring.train;

import dev.sparring.backend.LossKernel;

/**
 * What the trainer needs of a GAN loss: its compiled (phi, psi, beta) kernel and the values that the critic and
 * generator losses take at equilibrium (p_data = p_G), drawn as reference lines on the loss curves.
 */
public record TrainLoss(String spec, LossKernel kernel, double equilibriumCriticLoss, double equilibriumGeneratorLoss) {
}
