package dev.sparring.train;

import dev.sparring.backend.LossKernel;
import dev.sparring.gan.loss.GanLoss;

/**
 * What the trainer needs of a GAN loss: its compiled (phi, psi, beta) kernel and the values that the critic and
 * generator losses take at equilibrium (p_data = p_G), drawn as reference lines on the loss curves.
 */
public record TrainLoss(String spec, LossKernel kernel, double equilibriumCriticLoss, double equilibriumGeneratorLoss) {

    /** A loss from the workshop: its kernel and the equilibrium values its design check computes. */
    public static TrainLoss of(GanLoss loss) {
        return new TrainLoss(loss.spec(), loss.kernel(), loss.equilibriumCriticLoss(), loss.equilibriumGeneratorLoss());
    }
}
