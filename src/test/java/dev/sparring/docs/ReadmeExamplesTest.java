package dev.sparring.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java examples compile against the library as it is (each block as the body of a method). */
class ReadmeExamplesTest {
    private static final String IMPORTS = "import dev.sparring.backend.*; import dev.sparring.data.*; import dev.sparring.gan.loss.*; "
            + "import dev.sparring.optim.*; import dev.sparring.train.*; import java.nio.file.*; import java.util.*;";

    @Test
    void theJavaBlocksOfTheReadmeCompile(@TempDir Path out) throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        List<JavaFileObject> sources = new ArrayList<>();
        while (m.find()) {
            String name = "ReadmeExample" + sources.size();
            String code = IMPORTS + " class " + name + " { static void example() throws Exception {\n" + m.group(1) + "\n} }";
            sources.add(new SimpleJavaFileObject(URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) { return code; }
            });
        }
        assertFalse(sources.isEmpty(), "README.md has no ```java block");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests run on a JDK");
        DiagnosticCollector<JavaFileObject> errors = new DiagnosticCollector<>();
        boolean ok = javac.getTask(null, null, errors, List.of("-proc:none", "-d", out.toString(), "-cp", "target/classes"),
                null, sources).call();
        assertTrue(ok, "README.md's Java does not compile: " + errors.getDiagnostics());
    }
}
