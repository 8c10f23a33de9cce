package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.train.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a run's report.html again, or one page comparing several runs.",
                "One RUN: its report.html (what a run writes at each checkpoint and at its end): configuration, loss curves "
                        + "with the loss's values at equilibrium and a smoothed line, FID, mode coverage (2-D data), every other "
                        + "metric, sample grids over time and the checkpoints. Several RUNs, with --out: their curves overlaid, their "
                        + "configurations side by side with the keys that differ highlighted, and the last sample grid of each.",
                "The page is one self-contained HTML file (data and images embedded, nothing fetched); open it in any browser."})
public final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(arity = "1..*", paramLabel = "RUN", description = "run folders (runs/NAME)")
    List<Path> runs;
    @Option(names = "--out", description = "the page to write; needed for several RUNs. With one RUN the page goes there instead of "
            + "RUN/report.html. An existing file is not replaced without --overwrite")
    Path out;
    @Mixin
    OverwriteOption overwrite;

    @Override
    public Integer call() throws Exception {
        if (out == null) {
            if (runs.size() > 1) throw new UserError("several RUNs make one comparison page: give --out FILE.html");
            spec.commandLine().getOut().println(RunReport.write(runs.getFirst()));
            return 0;
        }
        if (Files.isDirectory(out)) throw new UserError("--out " + out + " is a folder; give the page's file name (" + out.resolve("report.html") + ")");
        overwrite.check("--out", out);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new UserError("--out " + out + ": the folder " + parent + " does not exist");
        RunReport.write(runs, out);
        spec.commandLine().getOut().println(out);
        return 0;
    }
}
