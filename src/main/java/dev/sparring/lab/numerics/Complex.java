package dev.sparring.lab.numerics;

/** A complex number: the eigenvalues of a real 2 x 2 matrix. */
public record Complex(double re, double im) {
    public double abs() { return Math.hypot(re, im); }
}
