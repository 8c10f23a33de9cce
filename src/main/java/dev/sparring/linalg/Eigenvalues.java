package dev.sparring.linalg;

import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Every eigenvalue of a dense real square matrix (EJML's general eigenvalue decomposition), in float64. */
public final class Eigenvalues {
    private Eigenvalues() { }

    /** An eigenvalue re + i·im. */
    public record Eigenvalue(double re, double im) {
        public double magnitude() { return Math.hypot(re, im); }
    }

    /** The eigenvalues of a (rows of a square matrix), largest magnitude first. */
    public static List<Eigenvalue> of(double[][] a) {
        int n = a.length;
        DMatrixRMaj m = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) throw new IllegalArgumentException("Eigenvalues: row " + i + " has " + a[i].length + " entries, not " + n);
            for (int j = 0; j < n; j++) m.set(i, j, a[i][j]);
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false);
        if (!eig.decompose(m)) throw new IllegalStateException("the eigenvalue decomposition of a " + n + " x " + n + " matrix did not converge");
        List<Eigenvalue> out = new ArrayList<>();
        for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
            Complex_F64 c = eig.getEigenvalue(i);
            out.add(new Eigenvalue(c.real, c.imaginary));
        }
        out.sort(Comparator.comparingDouble(Eigenvalue::magnitude).reversed());
        return out;
    }
}
