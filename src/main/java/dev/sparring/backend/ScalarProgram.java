package dev.sparring.backend;

import java.util.Arrays;

/**
 * A scalar function f(t) as a postfix (stack) program: the form in which a GAN loss reaches a backend.
 * The GPU loss kernel ({@code kernels/gan_losses.cu}) interprets the same op codes in double precision;
 * {@link #eval(double)} is its reference twin. The kernel takes the op codes from a header that the build generates
 * from these constants (backend.cuda.KernelLayouts); an op added here needs a case in its interpreter too.
 *
 * <p>Encoding: {@code code} is a sequence of op codes; {@link #CONST} is followed by an index into
 * {@code consts}. Every op pops its operands and pushes one result; a valid program leaves exactly one value.
 * Numerically stable forms are part of the op's definition (softplus, log-sigmoid, sigmoid), so that a
 * program is finite wherever its mathematical value is.
 */
public final class ScalarProgram {
    // op codes: keep the numbers stable, the GPU kernel uses them
    public static final int T = 0;           // push t
    public static final int CONST = 1;       // push consts[next]
    public static final int ADD = 2, SUB = 3, MUL = 4, DIV = 5, POW = 6;
    public static final int NEG = 7, EXP = 8, LOG = 9, LOG1P = 10, EXPM1 = 11;
    public static final int SOFTPLUS = 12, SIGMOID = 13, LOG_SIGMOID = 14, TANH = 15, SQRT = 16;
    public static final int ABS = 17, MIN = 18, MAX = 19, RELU = 20;
    public static final int SIGN = 21;       // -1, 0, 1
    public static final int STEP = 22;       // 1 if x > 0 else 0
    public static final int SELECT = 23;     // pops c, a, b (pushed in that order): c > 0 ? a : b
    public static final int OP_COUNT = 24;

    /** Deepest stack a program may use; the GPU kernel keeps its stack in registers of this size. */
    public static final int MAX_STACK = 16;

    private static final String[] NAMES = {"t", "const", "+", "-", "*", "/", "^", "neg", "exp", "log", "log1p",
            "expm1", "softplus", "sigmoid", "log_sigmoid", "tanh", "sqrt", "abs", "min", "max", "relu", "sign",
            "step", "select"};

    private final int[] code;
    private final double[] consts;

    public ScalarProgram(int[] code, double[] consts) {
        this.code = code.clone();
        this.consts = consts.clone();
        validate();
    }

    public int[] code() { return code.clone(); }

    public double[] consts() { return consts.clone(); }

    /** Arity of an op code (0 for T and CONST). */
    public static int arity(int op) {
        return switch (op) {
            case T, CONST -> 0;
            case ADD, SUB, MUL, DIV, POW, MIN, MAX -> 2;
            case SELECT -> 3;
            default -> {
                if (op < 0 || op >= OP_COUNT) throw new IllegalArgumentException("unknown op code " + op);
                yield 1;
            }
        };
    }

    private void validate() {
        int depth = 0;
        for (int pc = 0; pc < code.length; pc++) {
            int op = code[pc];
            int a = arity(op);
            if (op == CONST) {
                if (++pc >= code.length || code[pc] < 0 || code[pc] >= consts.length) {
                    throw new IllegalArgumentException("CONST without a valid constant index at " + (pc - 1));
                }
            }
            if (depth < a) throw new IllegalArgumentException("stack underflow at op " + NAMES[op] + " (position " + pc + ")");
            depth = depth - a + 1;
            if (depth > MAX_STACK) throw new IllegalArgumentException("program needs more than " + MAX_STACK + " stack slots");
        }
        if (depth != 1) throw new IllegalArgumentException("program leaves " + depth + " values on the stack, expected 1");
    }

    /** Evaluates the program at t, in double precision. */
    public double eval(double t) { return eval(t, new double[MAX_STACK]); }

    /** As {@link #eval(double)}, on a stack of at least {@link #MAX_STACK} doubles given by the caller (a loop over a batch allocates nothing). */
    public double eval(double t, double[] s) {
        int sp = 0;
        for (int pc = 0; pc < code.length; pc++) {
            int op = code[pc];
            switch (op) {
                case T -> s[sp++] = t;
                case CONST -> s[sp++] = consts[code[++pc]];
                case SELECT -> {
                    double b = s[--sp], a = s[--sp], c = s[--sp];
                    s[sp++] = c > 0 ? a : b;
                }
                default -> {
                    if (arity(op) == 2) {
                        double b = s[--sp], a = s[--sp];
                        s[sp++] = binary(op, a, b);
                    } else {
                        s[sp - 1] = unary(op, s[sp - 1]);
                    }
                }
            }
        }
        return s[0];
    }

    /** The value of binary op {@code op}; public so that formula trees (gan.loss.Expr) evaluate exactly as programs do. */
    public static double binary(int op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            default -> throw new IllegalStateException("not binary: " + op);
        };
    }

    /** The value of unary op {@code op}, in its stable form; public for the same reason as {@link #binary}. */
    public static double unary(int op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case LOG1P -> Math.log1p(x);
            case EXPM1 -> Math.expm1(x);
            case SOFTPLUS -> softplus(x);
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
            case LOG_SIGMOID -> -softplus(-x);
            case TANH -> Math.tanh(x);
            case SQRT -> Math.sqrt(x);
            case ABS -> Math.abs(x);
            case RELU -> x > 0 ? x : 0;
            case SIGN -> Math.signum(x);
            case STEP -> x > 0 ? 1 : 0;
            default -> throw new IllegalStateException("not unary: " + op);
        };
    }

    /** log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|). */
    public static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** A readable postfix listing, for error messages and docs. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < code.length; pc++) {
            if (sb.length() > 0) sb.append(' ');
            if (code[pc] == CONST) sb.append(consts[code[++pc]]);
            else sb.append(NAMES[code[pc]]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScalarProgram p && Arrays.equals(code, p.code) && Arrays.equals(consts, p.consts);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(code) + Arrays.hashCode(consts); }
}
