package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.TrainLoss;

/** Turns a --loss value into a loss, with errors that name the flag. */
final class Losses {
    private Losses() { }

    static GanLoss parse(String spec, String flag) {
        try {
            return GanLoss.parse(spec);
        } catch (UserError e) {
            String m = e.getMessage();
            throw new UserError(m.startsWith(flag) ? m : flag + " " + spec + ": " + m);
        }
    }

    static TrainLoss trainLoss(String spec, String flag) {
        return TrainLoss.of(parse(spec, flag));
    }
}
