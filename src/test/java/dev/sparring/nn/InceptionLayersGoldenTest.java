package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.io.Json;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The layers Inception-v3 is built from against PyTorch 1.13's values on small inputs (bench/pytorch/layers_golden.py
 * wrote the file): forward outputs, and input gradients of sum(r * y), on the CPU backend (CudaParityTest holds the
 * CUDA ops to these).
 */
class InceptionLayersGoldenTest {
    private final Backend be = new CpuBackend();

    @SuppressWarnings("unchecked")
    private static Map<String, Object> golden(String name) throws IOException {
        try (InputStream in = InceptionLayersGoldenTest.class.getResourceAsStream("/dev/sparring/nn/layers-golden.json")) {
            Map<String, Object> root = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8), "layers-golden.json");
            return (Map<String, Object>) ((Map<String, Object>) root.get("cases")).get(name);
        }
    }

    @SuppressWarnings("unchecked")
    private static float[] floats(Map<String, Object> c, String key) {
        List<Number> l = (List<Number>) c.get(key);
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i).floatValue();
        return a;
    }

    @SuppressWarnings("unchecked")
    private static int[] shape(Map<String, Object> c, String key) {
        return ((List<Number>) c.get(key)).stream().mapToInt(Number::intValue).toArray();
    }

    private Layer layer(String name, Map<String, Object> c) {
        return switch (name) {
            case "conv1x7" -> conv(new Conv2d(be, 2, 3, 1, 7, new ConvSpec(1, 1, 0, 3), true), c);
            case "conv7x1s" -> conv(new Conv2d(be, 2, 2, 7, 1, new ConvSpec(2, 1, 3, 0), false), c);
            case "maxpool_s2" -> new MaxPool2d(be, 3, 2, 0);
            case "maxpool_p1" -> new MaxPool2d(be, 3, 1, 1);
            case "avgpool_ex" -> new AvgPool2d(be, 3, 1, 1, false);
            case "avgpool_in" -> new AvgPool2d(be, 3, 1, 1, true);
            case "gap" -> new GlobalAvgPool2d(be);
            case "resize_up" -> new BilinearResize(be, 11, 7);
            case "resize_down" -> new BilinearResize(be, 3, 4);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private Conv2d conv(Conv2d conv, Map<String, Object> c) {
        assertArrayEquals(shape(c, "p0_shape"), conv.weight.value().shape(), "weight shape");
        be.copyFromHost(floats(c, "p0"), conv.weight.value());
        if (conv.bias != null) be.copyFromHost(floats(c, "p1"), conv.bias.value());
        return conv;
    }

    /**
     * Tolerances: pooling copies, or sums 9 or fewer floats in PyTorch's order and divides, and bilinear weights are
     * PyTorch's float arithmetic: 1e-6 covers a different rounding of PyTorch's own CPU code path; the convolutions sum
     * 14 products in another order (2e-6). A wrong window, divisor, tap or tie rule is off by O(0.1) or more.
     */
    @ParameterizedTest
    @ValueSource(strings = {"conv1x7", "conv7x1s", "maxpool_s2", "maxpool_p1", "avgpool_ex", "avgpool_in", "gap", "resize_up", "resize_down"})
    void matchesPyTorch(String name) throws IOException {
        Map<String, Object> c = golden(name);
        Layer l = layer(name, c);
        Tensor x = be.upload(floats(c, "x"), shape(c, "x_shape"));
        Tensor y = l.forward(x, Pass.TRAIN);
        assertArrayEquals(shape(c, "y_shape"), y.shape(), name + " output shape");
        double atol = name.startsWith("conv") ? 2e-6 : 1e-6;
        compare(name + " y", floats(c, "y"), be.download(y), atol);
        Tensor dy = be.upload(floats(c, "r"), y.shape());
        Tensor dx = l.backward(dy, Pass.TRAIN, true, true);
        compare(name + " dx", floats(c, "dx"), be.download(dx), atol);
    }

    static void compare(String what, float[] want, float[] got, double atol) {
        assertEquals(want.length, got.length, what + ": sizes differ");
        StringBuilder bad = new StringBuilder();
        int n = 0;
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= atol + 1e-6 * Math.abs(want[i])) && n++ < 5) {
                bad.append(String.format(" [%d] torch %s ours %s;", i, want[i], got[i]));
            }
        }
        if (n > 0) fail(what + ": " + n + " of " + want.length + " differ from PyTorch:" + bad);
    }
}
