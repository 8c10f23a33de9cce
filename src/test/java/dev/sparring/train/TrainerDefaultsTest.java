package dev.sparring.train;

import dev.sparring.gan.loss.GanLoss;
import dev.sparring.gan.loss.GanLosses;
import dev.sparring.optim.Optimizer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TrainerDefaultsTest {
    @Test
    void wganTrainsWithWgansRecipeAndEveryOtherBuiltinWithDcgans() {
        // WGAN-GP (Gulrajani et al. 2017, Algorithm 1): Adam(0, 0.9), lr 1e-4, 5 critic steps, lambda 10, no clipping
        assertEquals(new TrainerDefaults(Optimizer.Kind.ADAM, 1e-4, 1e-4, 0, 0.9, 5, 0, 10), TrainerDefaults.of(GanLosses.get("wgan-gp")));
        TrainerDefaults w = TrainerDefaults.of(GanLosses.get("wgan"));
        assertEquals(new TrainerDefaults(Optimizer.Kind.RMSPROP, 5e-5, 5e-5, 0, 0.99, 5, 0.01), w);
        assertEquals(TrainerDefaults.WGAN, w);
        for (String n : GanLosses.names()) {
            if (n.startsWith("wgan")) continue;
            assertEquals(new TrainerDefaults(Optimizer.Kind.ADAM, 2e-4, 2e-4, 0.5, 0.999, 1, 0), TrainerDefaults.of(GanLosses.get(n)), n);
        }
        // a formula loss gets WGAN's settings exactly when the checker classifies it as an IPM design
        assertEquals(TrainerDefaults.WGAN, TrainerDefaults.of(GanLoss.parse("phi=2*t; psi=-2*t")));
        assertEquals(TrainerDefaults.ADAM, TrainerDefaults.of(GanLoss.parse("phi=-exp(-t); psi=-exp(t)")));
        assertEquals("RMSProp(alpha=0.99), lr 5e-5, 5 critic steps, clip 0.01", w.describe());
        assertEquals("Adam(beta1=0.5, beta2=0.999), lr 2e-4, 1 critic step, no clipping", TrainerDefaults.ADAM.describe());
    }

    @Test
    void anOptimizersUsualSettings() {
        assertEquals(TrainerDefaults.WGAN, TrainerDefaults.forOptimizer(Optimizer.Kind.RMSPROP));
        assertEquals(TrainerDefaults.ADAM, TrainerDefaults.forOptimizer(Optimizer.Kind.ADAM));
        assertEquals(TrainerDefaults.ADAM, TrainerDefaults.forOptimizer(Optimizer.Kind.SGD), "SGD uses no betas");
    }

    @Test
    void refusesSettingsNoLossTrainsWith() {
        assertThrows(IllegalArgumentException.class, () -> new TrainerDefaults(Optimizer.Kind.SGD, 1e-3, 1e-3, 0, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainerDefaults(Optimizer.Kind.ADAM, 1e-3, 1e-3, 0.5, 0.999, 0, 0));
    }
}
