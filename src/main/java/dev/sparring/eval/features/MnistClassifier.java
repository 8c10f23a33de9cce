package dev.sparring.eval.features;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Act;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.Init;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The {@code mnist} feature network: a small convolutional digit classifier, trained by Sparring on the bundled MNIST
 * digits ({@link MnistClassifierTraining}), whose weights ship in the jar ({@link #RESOURCE}).
 *
 * <pre>
 *   x (N, 1, 28, 28) in [-1, 1]
 *   Conv(1, 16, 4, stride 2, pad 1) + BN + LeakyReLU(0.2)     14 x 14
 *   Conv(16, 32, 4, 2, 1) + BN + LeakyReLU(0.2)                7 x 7
 *   Conv(32, 64, 3, 2, 1) + BN + LeakyReLU(0.2)                4 x 4
 *   Conv(64, 64, 4, 1, 0) + BN + LeakyReLU(0.2)                1 x 1, viewed as (N, 64): the features
 *   Linear(64, 10)                                             the class scores (logits)
 * </pre>
 *
 * The DCGAN critic's stride-2 stack, with batch norm on every convolution and a linear head. Its state carries
 * PyTorch's nn.Sequential names ({@code main.0.weight}, {@code main.1.running_mean}, ...). Inference runs batch norm
 * with the running statistics ({@link Pass#EVAL}), so one image's features and class probabilities do not depend on the
 * other images of its batch.
 */
public final class MnistClassifier implements FeatureNetwork {
    /** Where the shipped weights lie on the class path. */
    public static final String RESOURCE = "/dev/sparring/eval/features/mnist-classifier.safetensors";
    /** The format written into the weights file's metadata. */
    public static final String FORMAT = "sparring-mnist-classifier/1";
    public static final int CLASSES = 10, SIZE = 28;

    /** Output channels of the four convolutions; the last is the feature size. */
    public record Widths(int c1, int c2, int c3, int features) {
        public Widths {
            if (c1 < 1 || c2 < 1 || c3 < 1 || features < 1) throw new IllegalArgumentException("widths must be >= 1: " + this);
        }
    }

    /** The shipped network's widths. */
    public static final Widths WIDTHS = new Widths(16, 32, 64, 64);

    private final Backend be;
    private final Widths widths;
    private final Network net;
    private final List<Layer> layers;

    private MnistClassifier(Backend be, Widths w) {
        this.be = be;
        this.widths = w;
        List<Layer> ls = new ArrayList<>();
        int[][] convs = {{1, w.c1(), 4, 2, 1}, {w.c1(), w.c2(), 4, 2, 1}, {w.c2(), w.c3(), 3, 2, 1}, {w.c3(), w.features(), 4, 1, 0}};
        for (int[] c : convs) {
            ls.add(new Conv2d(be, c[0], c[1], c[2], c[3], c[4], false));
            ls.add(new BatchNorm2d(be, c[1]));
            ls.add(Act.leakyRelu(be, 0.2));
        }
        ls.add(new Reshape(be, w.features()));
        ls.add(new Linear(be, w.features(), CLASSES, true));
        this.layers = List.copyOf(ls);
        this.net = new Network("mnist-classifier", "main", new Sequential(be, ls), 1, SIZE, SIZE);
    }

    /**
     * A new network with PyTorch's default initialisation drawn from {@code init}: convolution and linear weights and
     * the linear bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), batch norm gamma 1, beta 0.
     */
    public static MnistClassifier initialised(Backend be, Widths w, NoiseStream init) {
        MnistClassifier c = new MnistClassifier(be, w);
        for (Layer l : c.layers) {
            if (l instanceof BatchNorm2d) continue;   // gamma 1, beta 0 as constructed
            List<Parameter> ps = l.parameters();
            if (ps.isEmpty()) continue;
            int[] ws = ps.getFirst().value().shape();
            long fanIn = 1;
            for (int i = 1; i < ws.length; i++) fanIn *= ws[i];
            double bound = 1 / Math.sqrt(fanIn);
            for (Parameter p : ps) Init.uniform(be, p.value(), bound, init);
        }
        return c;
    }

    /** The shipped network (the jar's {@link #RESOURCE}) on {@code be}. */
    public static MnistClassifier bundled(Backend be) {
        Path tmp = null;
        try (InputStream in = MnistClassifier.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new UserError("classpath:" + RESOURCE + ": the MNIST classifier's weights are missing from the jar; rebuild Sparring "
                        + "(the file is in src/main/resources)");
            }
            // SafeTensorsFile reads files; the resource is copied out for as long as the weights take to load
            tmp = Files.createTempFile("sparring-mnist-classifier", ".safetensors");
            Files.write(tmp, in.readAllBytes());
            return load(be, tmp);
        } catch (IOException e) {
            throw new UserError("classpath:" + RESOURCE + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    /** A network saved by {@link #save}: its widths from the file's shapes, every tensor checked against them. */
    public static MnistClassifier load(Backend be, Path file) throws IOException {
        SafeTensorsFile f = SafeTensors.read(file);
        String format = f.metadata().get("format");
        if (!FORMAT.equals(format)) {
            throw new IOException(file + ": not an MNIST classifier of Sparring (metadata format is " + format + ", expected " + FORMAT + ")");
        }
        Widths w;
        try {
            w = new Widths(dim0(f, "main.0.weight"), dim0(f, "main.3.weight"), dim0(f, "main.6.weight"), dim0(f, "main.9.weight"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        MnistClassifier c = new MnistClassifier(be, w);
        c.net.loadState(f, "");
        return c;
    }

    private static int dim0(SafeTensorsFile f, String name) throws IOException {
        if (!f.contains(name)) throw new IOException(f.path() + ": no tensor '" + name + "' (not an MNIST classifier's weights?)");
        return f.shape(name)[0];
    }

    /**
     * Writes the network's state (parameters, running statistics, num_batches_tracked) as safetensors, with
     * {@code metadata} beside {@code format}; the same state and metadata always give the same bytes.
     */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        SafeTensors.Writer w = SafeTensors.writer();
        for (var e : net.namedParameters().entrySet()) w.putF32(e.getKey(), be.download(e.getValue().value()), e.getValue().value().shape());
        for (var e : net.namedBuffers().entrySet()) w.putF32(e.getKey(), be.download(e.getValue()), e.getValue().shape());
        for (var e : net.counters().entrySet()) w.putI64(e.getKey(), new long[] {e.getValue()});
        w.putMetadata("format", FORMAT);
        metadata.forEach(w::putMetadata);
        w.write(file);
    }

    /** The network, for training. */
    public Network network() { return net; }

    public Widths widths() { return widths; }

    @Override
    public String name() { return "mnist"; }

    @Override
    public int featureSize() { return widths.features(); }

    @Override
    public int channels() { return 1; }

    @Override
    public int imageSize() { return SIZE; }

    @Override
    public Backend backend() { return be; }

    private void requireImages(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != SIZE || images.dim(3) != SIZE) {
            throw new IllegalArgumentException("the MNIST classifier takes images (N, 1, 28, 28), got " + Arrays.toString(images.shape()));
        }
    }

    /** The penultimate layer's output (N, F) for images (N, 1, 28, 28), on the backend; valid until the next call. */
    @Override
    public Tensor featureTensor(Tensor images) {
        requireImages(images);
        Tensor x = images;
        for (int i = 0; i < layers.size() - 1; i++) x = layers.get(i).forward(x, Pass.EVAL);
        return x;
    }

    @Override
    public float[] features(Tensor images) { return be.download(featureTensor(images)); }

    /** The class scores (N, 10) of images (N, 1, 28, 28), row-major. */
    public float[] logits(Tensor images) { return be.download(layers.getLast().forward(featureTensor(images), Pass.EVAL)); }

    /** p(y | x): the softmax of {@link #logits}, (N, 10) row-major, each row summing to 1 (to float rounding). */
    public float[] probabilities(Tensor images) { return ClassScores.softmax(logits(images), CLASSES); }

    /**
     * p(y | x) from the features (N, F) that {@link #featureTensor} returned for x: the last layer alone, for a caller that
     * wants both an image's features and its class without running the network twice.
     */
    public float[] probabilitiesOfFeatures(Tensor features) {
        return ClassScores.softmax(be.download(layers.getLast().forward(features, Pass.EVAL)), CLASSES);
    }
}
