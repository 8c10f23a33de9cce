package dev.sparring.cli;

import picocli.CommandLine.Option;

/**
 * {@code --no-ema}, for the commands that draw samples from a checkpoint (sample, classify, fid): {@code @Mixin EmaOption ema}.
 * Without it they sample G_ema when the checkpoint holds one ({@link CheckpointGenerator}).
 */
final class EmaOption {
    @Option(names = "--no-ema", description = "sample the raw generator G, not G_ema (the moving average of its weights that a "
            + "run keeps unless trained with --no-ema; used when the checkpoint has it)")
    boolean noEma;

    /** Whether to sample G_ema when the checkpoint has it. */
    boolean use() { return !noEma; }
}
