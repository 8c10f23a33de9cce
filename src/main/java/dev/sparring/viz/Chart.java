package dev.sparring.viz;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;

/** A chart that can stand alone ({@link #render()}, {@link #write}) or be a panel of a {@link Figure}. */
public sealed interface Chart permits LineChart, ScatterPlot, FieldPlot {
    /** Draws the chart into {@code area} of g, white background included, and says where its data went. */
    Rendered.Panel draw(Graphics2D g, Rectangle2D area);

    /** The chart alone, at its own size. */
    Rendered render();

    /** Writes {@link #render()} as a PNG, atomically (see {@link Png#writeAtomic}). */
    default void write(Path png) throws IOException { Png.writeAtomic(render().image(), png); }
}
