package dev.sparring.cli;

import dev.sparring.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring numerics}: the figures and summary.json it writes, and the one-line errors for bad input. */
class NumericsCommandTest {

    @Test
    void writesTheFiguresAndTheNumbersOfTheSaddleGame(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("saddle");
        CliTest.Run r = CliTest.run("numerics", "--game", "saddle", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("field.png", "trajectories.png", "distance.png", "eigenvalues.png")) {
            BufferedImage img = ImageIO.read(out.resolve(f).toFile());
            assertNotNull(img, f);
            assertTrue(img.getWidth() >= 700 && img.getHeight() >= 500, f + ": " + img.getWidth() + " x " + img.getHeight());
        }
        Map<String, Object> s = Json.parseObject(Files.readString(out.resolve("summary.json")), "summary.json");
        assertEquals("saddle", s.get("game"));
        assertEquals(0.02, ((Number) s.get("lr")).doubleValue());
        assertEquals(5.0, ((Number) s.get("gamma")).doubleValue());
        Map<String, Object> methods = map(s.get("methods"));
        assertEquals("converges", map(methods.get("simgd")).get("behaviour"));
        assertEquals("stalls at (0.925, 0.880)", map(methods.get("consensus")).get("behaviour"));
        assertEquals(true, map(methods.get("consensus")).get("locally_convergent"));
        List<?> zeros = (List<?>) s.get("consensus_stationary_points");
        assertEquals(3, zeros.size(), zeros.toString());
        assertEquals("equilibrium", map(zeros.get(0)).get("kind"));
        long trapping = zeros.stream().map(NumericsCommandTest::map).filter(z -> z.get("kind").equals("spurious") && z.get("attracts_step").equals(true)).count();
        assertEquals(1, trapping);
        assertTrue(r.out().contains("spurious zero of v - gamma grad L at (0.9249, 0.8805), |v| = 0.0694, attracting the consensus steps"), r.out());
        assertTrue(r.out().contains("consensus         stalls at (0.925, 0.880)"), r.out());
    }

    @Test
    void oneMethodOfTheBilinearGameWithItsFlags(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("b");
        Files.createDirectory(out);   // an empty folder is taken
        CliTest.Run r = CliTest.run("numerics", "--game", "bilinear", "--method", "simgd", "--lr", "0.05", "--steps", "40", "--start", "0.5,-0.25",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> s = Json.parseObject(Files.readString(out.resolve("summary.json")), "summary.json");
        Map<String, Object> sim = map(map(s.get("methods")).get("simgd"));
        double r0 = Math.hypot(0.5, 0.25);
        assertEquals(r0 * Math.pow(1 + 0.05 * 0.05, 20), ((Number) sim.get("final_distance")).doubleValue(), 1e-12);
        assertFalse(map(map(s.get("methods")).get("altgd")).containsKey("behaviour"), "altgd was not run, only analysed");
        List<?> gammas = (List<?>) ((List<?>) s.get("consensus_convergent_gamma")).getFirst();
        assertEquals((1 - Math.sqrt(1 - 0.0025)) / 0.05, ((Number) gammas.get(0)).doubleValue(), 1e-10);
        assertTrue(r.out().startsWith("bilinear: f(x, y) = x y; h = 0.05, gamma = 0.5, 40 steps from (0.5, -0.25)"), r.out());
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) throws IOException {
        Path full = dir.resolve("full");
        Files.createDirectory(full);
        Files.writeString(full.resolve("mine.txt"), "not Sparring's");
        String o = dir.resolve("o").toString();
        String[][] cases = {
                {"--game", "bilinear", "--steps", "0", "--out", o}, {"--steps must be between 1 and"},
                {"--game", "chess", "--out", o}, {"--game chess: unknown game; the games are bilinear, dirac, saddle"},
                {"--game", "dirac", "--method", "simgd,adam", "--out", o}, {"--method adam: unknown method; the methods are simgd, altgd, consensus"},
                {"--game", "dirac", "--method", "simgd,simgd", "--out", o}, {"simgd is named twice"},
                {"--game", "dirac", "--lr", "0", "--out", o}, {"--lr must be a finite number > 0, got 0.0"},
                {"--game", "dirac", "--lr", "NaN", "--out", o}, {"--lr must be a finite number > 0"},
                {"--game", "dirac", "--gamma", "-1", "--out", o}, {"--gamma must be a finite number >= 0, got -1.0"},
                {"--game", "dirac", "--start", "1", "--out", o}, {"--start 1: give two finite numbers x,y"},
                {"--game", "dirac", "--start", "1,inf", "--out", o}, {"--start 1,inf: give two finite numbers x,y"},
                {"--game", "dirac", "--out", full.toString()}, {"is not empty; give a new or empty folder"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            String[] args = new String[cases[i].length + 1];
            args[0] = "numerics";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("sparring: ") && r.err().contains(cases[i + 1][0]), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertFalse(Files.exists(dir.resolve("o")), "nothing is written for bad input");
        assertEquals(List.of(full.resolve("mine.txt")), Files.list(full).toList(), "a folder Sparring did not create is left alone");
        CliTest.Run none = CliTest.run("numerics");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--game"), none.err());
    }

    @Test
    void helpSaysWhatItWritesAndEachGamesDefaults() {
        CliTest.Run r = CliTest.run("numerics", "--help");
        assertEquals(0, r.code());
        for (String s : List.of("--game", "--method", "--lr", "--gamma", "--steps", "--start", "--out", "summary.json", "bilinear 0.1, dirac 0.2, saddle 0.02")) {
            assertTrue(r.out().contains(s), s + " in " + r.out());
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) { return (Map<String, Object>) o; }
}
