package dev.sparring.lab.numerics;

/**
 * The partial derivatives of a game's f(x, y) at one point, up to third order: what the game field v, its Jacobian J
 * and the consensus field's Jacobian need ({@link Game}).
 */
public record Partials(double fx, double fy,
                       double fxx, double fxy, double fyy,
                       double fxxx, double fxxy, double fxyy, double fyyy) {
}
