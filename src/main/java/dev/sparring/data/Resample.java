package dev.sparring.data;

/**
 * Square center crop, resampling and channel conversion of uint8 images: the one place where pixels are
 * interpolated. Plain loops, run once when a dataset is opened, never in the training loop.
 *
 * <h2>Geometry</h2>
 * An (H, W) image becomes (S, S): the central square of side min(H, W) is cut out (offset floor((long - short) / 2)
 * along the long side), then resampled to S x S. This is "resize the short side to S, then center crop", done in
 * source coordinates so that the long side is never rounded.
 *
 * <h2>Resampling, per axis (separable)</h2>
 * <ul>
 * <li>Shrinking (S &lt; span): area averaging. Output pixel j covers the source interval [j s, (j+1) s) with
 *     s = span / S; each source pixel is weighted by its overlap with that interval, divided by s.
 *     For integer ratios this is the plain k x k block mean.</li>
 * <li>Same size or growing (S &ge; span): bilinear with pixel centers aligned (align_corners = false):
 *     x = (j + 0.5) span / S - 0.5, clamped to [0, span - 1]. At S = span this is the identity.</li>
 * </ul>
 * The horizontal pass runs first (every source row to S floats), then the vertical pass; the result is rounded half
 * up and clamped to 0..255.
 *
 * <h2>Channels</h2>
 * Gray to RGB copies the plane three times. RGB to gray is the ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B,
 * rounded. Only 1 and 3 channels exist here.
 */
final class Resample {
    private Resample() { }

    /** Weights for one axis: output j reads source index[j*taps + t] with weight weight[j*taps + t]. */
    record Axis(int taps, int[] index, float[] weight) { }

    /** Resampling table from the source span [offset, offset + span) to out pixels. */
    static Axis axis(int offset, int span, int out) {
        if (out < span) {
            double s = (double) span / out;
            int taps = (int) Math.ceil(s) + 1;
            int[] index = new int[out * taps];             // (out, taps)
            float[] weight = new float[out * taps];        // (out, taps)
            for (int j = 0; j < out; j++) {
                double lo = j * s, hi = (j + 1) * s;
                int first = (int) Math.floor(lo);
                for (int t = 0; t < taps; t++) {
                    int i = first + t;
                    double overlap = i < span ? Math.min(hi, i + 1) - Math.max(lo, i) : 0.0;
                    index[j * taps + t] = offset + Math.min(i, span - 1);
                    weight[j * taps + t] = overlap > 0 ? (float) (overlap / s) : 0f;
                }
            }
            return new Axis(taps, index, weight);
        }
        int[] index = new int[out * 2];                    // (out, 2)
        float[] weight = new float[out * 2];               // (out, 2)
        double s = (double) span / out;
        for (int j = 0; j < out; j++) {
            double x = Math.min(Math.max((j + 0.5) * s - 0.5, 0.0), span - 1);
            int i0 = (int) Math.floor(x);
            int i1 = Math.min(i0 + 1, span - 1);
            float f = (float) (x - i0);
            index[j * 2] = offset + i0;
            index[j * 2 + 1] = offset + i1;
            weight[j * 2] = 1f - f;
            weight[j * 2 + 1] = f;
        }
        return new Axis(2, index, weight);
    }

    /** Row table (vertical axis) for an (h, w) source cropped to its central square and resampled to size. */
    static Axis rows(int h, int w, int size) {
        int side = Math.min(h, w);
        return axis((h - side) / 2, side, size);
    }

    /** Column table (horizontal axis), see {@link #rows}. */
    static Axis cols(int h, int w, int size) {
        int side = Math.min(h, w);
        return axis((w - side) / 2, side, size);
    }

    /**
     * Center-crops and resamples the c planes of one image.
     * src at srcOff: (c, h, w) uint8; dst at dstOff: (c, size, size) uint8. tmp: at least size * h floats.
     */
    static void resize(byte[] src, int srcOff, int c, int h, int w,
                       Axis ry, Axis rx, int size, float[] tmp, byte[] dst, int dstOff) {
        for (int ch = 0; ch < c; ch++) {
            int plane = srcOff + ch * h * w;
            // horizontal pass over every source row: tmp (h, size)
            for (int y = 0; y < h; y++) {
                int row = plane + y * w;
                for (int j = 0; j < size; j++) {
                    float acc = 0f;
                    for (int t = 0; t < rx.taps; t++) {
                        acc += rx.weight[j * rx.taps + t] * (src[row + rx.index[j * rx.taps + t]] & 0xFF);
                    }
                    tmp[y * size + j] = acc;
                }
            }
            // vertical pass: dst (size, size)
            int out = dstOff + ch * size * size;
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    float acc = 0f;
                    for (int t = 0; t < ry.taps; t++) {
                        acc += ry.weight[i * ry.taps + t] * tmp[ry.index[i * ry.taps + t] * size + j];
                    }
                    dst[out + i * size + j] = toByte(acc);
                }
            }
        }
    }

    /** Converts one image between 1 and 3 channels. src: (cIn, hw), dst: (cOut, hw); cIn == cOut copies. */
    static void channels(byte[] src, int srcOff, int cIn, byte[] dst, int dstOff, int cOut, int hw) {
        if (cIn == cOut) {
            System.arraycopy(src, srcOff, dst, dstOff, cIn * hw);
        } else if (cIn == 1 && cOut == 3) {
            for (int ch = 0; ch < 3; ch++) System.arraycopy(src, srcOff, dst, dstOff + ch * hw, hw);
        } else if (cIn == 3 && cOut == 1) {
            for (int p = 0; p < hw; p++) {
                float r = src[srcOff + p] & 0xFF, g = src[srcOff + hw + p] & 0xFF, b = src[srcOff + 2 * hw + p] & 0xFF;
                dst[dstOff + p] = toByte(0.299f * r + 0.587f * g + 0.114f * b);
            }
        } else {
            throw new IllegalArgumentException("Resample.channels: only 1 <-> 3 channel conversion exists, asked "
                    + cIn + " -> " + cOut);
        }
    }

    static byte toByte(float v) {
        int q = (int) Math.floor(v + 0.5f);
        return (byte) Math.min(255, Math.max(0, q));
    }
}
