package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.Backends;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.eval.features.MnistClassifierTraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sparring features}: the feature networks that measure generated images.
 * <pre>
 * sparring features train-mnist --out FILE     re-trains the MNIST classifier that ships in the jar
 * </pre>
 */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = "Feature networks that measure generated images: train-mnist re-trains the MNIST classifier shipped in the jar.",
        subcommands = {FeaturesCommand.TrainMnist.class})
public final class FeaturesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    @Command(name = "train-mnist", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            description = {"Train the MNIST classifier (the `mnist` feature network) as the one in the jar was trained: on "
                    + MnistClassifierTraining.TRAIN_IMAGES + " of the bundled digits, then measured on the other " + MnistClassifierTraining.HELD_OUT
                    + " (the last " + MnistClassifierTraining.HELD_OUT_PER_DIGIT + " of each digit), which it never trains on. Prints the held-out "
                    + "accuracy, per digit too, and the file's SHA-256.",
                    "On the CPU the file is the same to the byte on every run: with the defaults, the jar's "
                            + "src/main/resources" + MnistClassifier.RESOURCE + "."})
    static final class TrainMnist implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--out", required = true, description = "the weights file to write (safetensors); an existing file is replaced only with --overwrite")
        Path out;
        @Option(names = "--overwrite", description = "replace an existing --out file")
        boolean overwrite;
        @Option(names = "--epochs", description = "passes over the training digits (default: the shipped weights' " + MnistClassifierTraining.DEFAULT_EPOCHS + ")")
        Integer epochs;
        @Option(names = "--seed", description = "weights, order and shifts (default: the shipped weights' " + MnistClassifierTraining.DEFAULT_SEED + ")")
        Long seed;
        @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto; only the CPU reproduces the shipped file")
        String device;

        @Override
        public Integer call() throws Exception {
            if (Files.exists(out) && !overwrite) throw new UserError("--out " + out + " exists; choose another file, or pass --overwrite to replace it");
            MnistClassifierTraining.Config d = MnistClassifierTraining.DEFAULTS;
            MnistClassifierTraining.Config c = new MnistClassifierTraining.Config(seed == null ? d.seed() : seed, epochs == null ? d.epochs() : epochs,
                    d.batch(), d.lr(), d.decayAfter(), d.decay(), d.shift(), d.trainImages(), d.widths());
            PrintWriter o = spec.commandLine().getOut();
            try (Backend be = Backends.create(device, System.err)) {
                MnistClassifierTraining.Result r = MnistClassifierTraining.train(be, c, line -> { o.println(line); o.flush(); });
                MnistClassifierTraining.Accuracy a = r.heldOut();
                Map<String, String> meta = new LinkedHashMap<>(c.describe());
                meta.put("held_out_accuracy", String.format(Locale.ROOT, "%.4f", a.overall()));
                r.classifier().save(out, meta);
                o.printf(Locale.ROOT, "held-out accuracy %.2f %% (%d of %d digits), trained in %.1f s on %s%n", 100 * a.overall(), a.totalCorrect(),
                        a.total(), r.seconds(), be.name());
                StringBuilder per = new StringBuilder("per digit:");
                for (int k = 0; k < MnistClassifier.CLASSES; k++) per.append(String.format(Locale.ROOT, "  %d %.1f %%", k, 100 * a.of(k)));
                o.println(per);
                o.println("wrote " + out + " (" + Files.size(out) + " bytes, " + r.classifier().network().parameterCount()
                        + " parameters), sha256 " + sha256(out));
            }
            o.flush();
            return 0;
        }
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
