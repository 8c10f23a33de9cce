package dev.sparring.gan.loss;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The formula language: precedence, printing that reads back, and errors that point at the column. */
class FormulaTest {

    private static double at(String expr, double t) { return Formula.parseExpr(expr).eval(t); }

    @Test
    void precedenceAndAssociativity() {
        assertEquals(-9, at("-t^2", 3));            // unary minus binds looser than ^
        assertEquals(9, at("(-t)^2", 3));
        assertEquals(0.5, at("2^-t", 1));           // exponent may carry a sign
        assertEquals(512, at("2^3^2", 0));           // ^ is right associative
        assertEquals(1, at("8/4/2", 0));             // / is left associative
        assertEquals(5, at("10-3-2", 0));
        assertEquals(7, at("1+2*3", 0));
        assertEquals(-4, at("-2^2", 0));
        assertEquals(16, at("t**2", 4));             // ** as ^
        assertEquals(5.5, at("2×t − 1÷2", 3));       // Unicode operators
        assertEquals(6, at("2·t", 3));
        assertEquals(1e-3, at("1e-3", 0));
        assertEquals(0.5, at(".5", 0));
        assertEquals(2.5e3, at("2.5E+3", 0));
        assertEquals(3, at("max(t, 3)", 1));
        assertEquals(1, at("min(t, 3)", 1));
        assertEquals(2, at("select(t, 2, 5)", 0.1));
        assertEquals(5, at("select(t, 2, 5)", 0));
    }

    @Test
    void functionsUseTheKernelOpSemantics() {
        double t = -0.7;
        assertEquals(Math.log1p(Math.exp(t)), at("softplus(t)", t), 1e-16);
        assertEquals(1 / (1 + Math.exp(-t)), at("sigmoid(t)", t), 1e-16);
        assertEquals(Math.log(1 / (1 + Math.exp(-t))), at("log_sigmoid(t)", t), 1e-15);
        assertEquals(Math.log1p(t), at("log1p(t)", t), 0);
        assertEquals(Math.expm1(t), at("expm1(t)", t), 0);
        assertEquals(Math.tanh(t), at("tanh(t)", t), 0);
        assertEquals(0.7, at("abs(t)", t), 0);
        assertEquals(0, at("relu(t)", t), 0);
        assertEquals(-1, at("sign(t)", t), 0);
        assertEquals(0, at("step(t)", t), 0);
        assertEquals(Math.sqrt(0.7), at("sqrt(-t)", t), 0);
        // softplus stays finite where log(1 + exp(t)) overflows
        assertEquals(1e4, at("softplus(t)", 1e4), 0);
        assertEquals(Double.POSITIVE_INFINITY, at("log(1 + exp(t))", 1e4));
    }

    @Test
    void printedTreesReadBack() {
        List<String> exprs = List.of("-softplus(-t)", "-(t - b)^2/2", "2*expm1(-t/2)", "log(2) - softplus(t)", "(-2)^t",
                "2^-t^2", "-t^2", "a - (b - t)", "a/(b/t)", "a/b/t", "min(t, -1) + max(0.5*t, t^2)", "select(t - 1, -t, 1e-3)",
                "-(-t)", "1.5e-300*t", "t^(1/3)", "exp(-exp(-t))", "--t", "-(a*b)");
        for (String s : exprs) {
            Expr e = Formula.parseExpr(s);
            Expr back = Formula.parseExpr(e.text());
            assertEquals(e, back, "'" + s + "' printed as '" + e.text() + "' reads back differently");
        }
        // the simplifier prints x + (-c) as x - c; that reads back to a tree of equal value and equal simplification
        Expr simplified = Simplify.simplify(Formula.parseExpr("t - 1"));
        assertEquals("t - 1", simplified.text());
        assertEquals(simplified, Simplify.simplify(Formula.parseExpr(simplified.text())));
    }

    @Test
    void specClausesParametersAndDefaults() {
        Formula.Spec s = Formula.parseSpec("φ = -(t-a)^2 ; ψ=-(t-b)^2\n a = 1; b = 2*0.25 ;");
        assertEquals(List.of("a", "b"), List.copyOf(s.params().keySet()));
        assertEquals(0.5, s.params().get("b"));
        assertNull(s.beta(), "beta defaults to psi (null in the spec)");
        assertNull(s.out());
        assertEquals(-0.25, s.phi().bind(s.params()).eval(0.5));
    }

    private static FormulaException specError(String spec) {
        return assertThrows(FormulaException.class, () -> Formula.parseSpec(spec), spec);
    }

    @Test
    void syntaxErrorsPointAtTheColumn() {
        String spec = "phi=-exp(t); psi=-lg(t)";
        FormulaException e = specError(spec);
        assertEquals(spec.indexOf("lg") + 1, e.column());
        assertTrue(e.reason().contains("unknown function 'lg'"), e.getMessage());
        String[] lines = e.getMessage().split("\n");
        assertEquals(3, lines.length, e.getMessage());
        assertEquals("  " + spec, lines[1]);
        assertEquals(2 + spec.indexOf("lg"), lines[2].indexOf('^'), "caret under the column:\n" + e.getMessage());

        assertEquals(5, specError("phi=(t+1; psi=t").column());                        // the '(' never closed
        assertTrue(specError("phi=(t+1; psi=t").reason().contains("never closed"));
        assertEquals(6, specError("phi=2t; psi=t").column());                          // a number followed by a name
        FormulaException end = specError("phi=t; psi=t +");
        assertEquals(15, end.column());
        assertTrue(end.reason().contains("found the end"), end.reason());
        assertEquals(13, specError("phi=t; psi=t)").column());
        assertTrue(specError("phi=t; psi=t)").reason().contains("unmatched ')'"));
        FormulaException unknown = specError("phi=t*k; psi=-t");
        assertEquals(7, unknown.column());
        assertTrue(unknown.reason().contains("unknown name 'k'"), unknown.reason());
        assertTrue(specError("phi=t; psi=-t; k=t").reason().contains("must be a constant"));
        FormulaException twice = specError("phi=t; phi=-t; psi=t");
        assertEquals(8, twice.column());
        assertTrue(twice.reason().contains("defined twice"));
        assertTrue(specError("phi=t").reason().contains("missing 'psi=...'"));
        assertTrue(specError("phi=min(t); psi=t").reason().contains("min takes 2 arguments"));
        assertTrue(specError("phi=exp; psi=t").reason().contains("needs an argument list"));
        assertTrue(specError("phi=t; psi=-t; exp=2").reason().contains("reserved"));
        assertTrue(specError("phi=t; psi=-t; out=2").reason().contains("function of t"));
        assertEquals(9, specError("phi=t; p$i=t").column());                           // expected '=' after 'p'
        assertTrue(specError("phi=t; p$i=t").reason().contains("expected '='"));
        assertTrue(specError("phi=t # 2; psi=t").reason().contains("unexpected '#'"));
    }
}
