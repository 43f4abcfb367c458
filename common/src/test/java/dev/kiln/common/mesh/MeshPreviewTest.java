package dev.kiln.common.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.mesh.MeshPreview.Frame;
import dev.kiln.common.mesh.MeshPreview.Input;
import dev.kiln.common.mesh.MeshPreview.Light;
import dev.kiln.common.mesh.MeshPreview.View;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** The renderer alone, on meshes small enough to reason about pixel by pixel. */
class MeshPreviewTest {
  private static final int BACKGROUND = 0x102030;
  /** A triangle in the z = 0 plane, facing +z (the camera at yaw 0, pitch 0), its box centred on the origin. */
  private static final float[] TRIANGLE = {-1, -1, 0, 1, -1, 0, 0, 1, 0};
  private static final int[] ONE = {0, 1, 2};
  private static final float[] ORANGE = {1, 0.5f, 0.25f, 1, 0.5f, 0.25f, 1, 0.5f, 0.25f};
  /** Toward the viewer: a face turned to the camera gets ambient + diffuse = 1. */
  private static final Light FRONT = new Light(0, 0, 1, Frame.MODEL, 0.5, 0.5);

  private static View view(int size, double yaw, Light light) {
    return new View(size, yaw, 0, BACKGROUND, 0.5, light, false);
  }

  private static int rgb(BufferedImage img, int x, int y) {
    return img.getRGB(x, y) & 0xffffff;
  }

  @Test
  void aTriangleLandsInTheCentreInItsColourAndNothingElseIsDrawn() {
    BufferedImage img = MeshPreview.render(new Input(TRIANGLE, ONE, ORANGE), view(64, 0, FRONT));
    assertEquals(0xff8040, rgb(img, 32, 32), "lit head-on: the vertex colour, rounded per channel");
    // fill 0.5 of 64 px: the triangle's box is the middle 32 px; everything outside it is background.
    int drawn = 0;
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        if (rgb(img, x, y) == BACKGROUND) continue;
        drawn++;
        assertTrue(x >= 15 && x <= 48 && y >= 15 && y <= 48, "drawn at " + x + "," + y + ", outside the centre");
      }
    }
    assertTrue(drawn > 32 * 32 / 2 * 0.8, "about half the 32 px box is covered, was " + drawn);
  }

  @Test
  void theLightShadesAndItsFrameDecidesWhetherItTurnsWithTheModel() {
    Input orange = new Input(TRIANGLE, ONE, ORANGE);
    Light side = new Light(1, 0, 0, Frame.MODEL, 0.5, 0.5);
    assertEquals(0x804020, rgb(MeshPreview.render(orange, view(64, 0, side)), 32, 32), "edge-on to the light: ambient alone");
    // Yawed 60 degrees: a light fixed to the model still meets the face head-on; one fixed to the
    // camera now meets it at 60 degrees (cos 0.5), so the brightness is 0.5 + 0.5 * 0.5.
    assertEquals(0xff8040, rgb(MeshPreview.render(orange, view(64, 60, FRONT)), 32, 32));
    Light camera = new Light(0, 0, 1, Frame.CAMERA, 0.5, 0.5);
    assertEquals(0xbf6030, rgb(MeshPreview.render(orange, view(64, 60, camera)), 32, 32));
  }

  @Test
  void withoutColoursTheFaceIsACoolGrey() {
    Light side = new Light(1, 0, 0, Frame.MODEL, 0.5, 0.5);
    BufferedImage img = MeshPreview.render(new Input(TRIANGLE, ONE, null), view(64, 0, side));
    assertEquals(0x808000 | (0x80 + MeshPreview.UNCOLOURED_BLUE_LIFT), rgb(img, 32, 32));
  }

  @Test
  void theNearerTriangleIsDrawnOverTheFartherWhateverTheirOrder() {
    // The same triangle twice, the second half a unit nearer the camera (+z) and blue.
    float[] p = new float[18];
    System.arraycopy(TRIANGLE, 0, p, 0, 9);
    System.arraycopy(TRIANGLE, 0, p, 9, 9);
    for (int i = 11; i < 18; i += 3) p[i] = 0.5f;
    float[] colours = {1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1};
    assertEquals(0x0000ff, rgb(MeshPreview.render(new Input(p, new int[] {0, 1, 2, 3, 4, 5}, colours), view(64, 0, FRONT)), 32, 32));
    assertEquals(0x0000ff, rgb(MeshPreview.render(new Input(p, new int[] {3, 4, 5, 0, 1, 2}, colours), view(64, 0, FRONT)), 32, 32));
  }

  @Test
  void theSizeIsHonouredAndTheModelFittedToIt() {
    for (int size : new int[] {1, 37, 200}) {
      BufferedImage img = MeshPreview.render(new Input(TRIANGLE, ONE, ORANGE), view(size, 0, FRONT));
      assertEquals(size, img.getWidth());
      assertEquals(size, img.getHeight());
      if (size > 1) assertEquals(0xff8040, rgb(img, size / 2, size / 2), size + " px: the centre is the triangle");
    }
    // A vertex no triangle uses does not move or shrink the drawing.
    float[] stray = java.util.Arrays.copyOf(TRIANGLE, 12);
    stray[9] = 100;
    assertArrayEquals(pixels(MeshPreview.render(new Input(TRIANGLE, ONE, ORANGE), view(64, 0, FRONT))),
        pixels(MeshPreview.render(new Input(stray, ONE, java.util.Arrays.copyOf(ORANGE, 12)), view(64, 0, FRONT))));
  }

  @Test
  void emptyAndDegenerateMeshesGiveTheBackground() {
    Input[] nothing = {
        new Input(new float[0], new int[0], null),
        new Input(TRIANGLE, new int[0], ORANGE), // vertices but no triangles
        new Input(new float[] {1, 2, 3, 1, 2, 3, 1, 2, 3}, ONE, null), // all three at one point
        new Input(new float[] {0, 0, 0, 1, 1, 0, 2, 2, 0}, ONE, null), // on one line
    };
    for (Input in : nothing) {
      int[] px = pixels(MeshPreview.render(in, view(16, 0, FRONT)));
      for (int v : px) assertEquals(BACKGROUND, v & 0xffffff);
    }
  }

  @Test
  void theInputIsCopiedSoTheSameInputDrawsTheSamePixels() {
    float[] p = TRIANGLE.clone();
    Input in = new Input(p, ONE, ORANGE);
    int[] before = pixels(MeshPreview.render(in, view(64, 0, FRONT)));
    p[0] = -100; // the caller's array changes after the fact
    assertArrayEquals(before, pixels(MeshPreview.render(in, view(64, 0, FRONT))));
  }

  @Test
  void malformedInputIsRefusedWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> new Input(new float[] {0, 0}, new int[0], null));
    assertThrows(IllegalArgumentException.class, () -> new Input(TRIANGLE, new int[] {0, 1}, null));
    assertThrows(IllegalArgumentException.class, () -> new Input(TRIANGLE, new int[] {0, 1, 3}, null));
    assertThrows(IllegalArgumentException.class, () -> new Input(TRIANGLE, ONE, new float[3]));
    assertThrows(IllegalArgumentException.class, () -> view(0, 0, FRONT));
    assertThrows(IllegalArgumentException.class, () -> new View(8, 0, 0, 0, 0, FRONT, false));
    assertThrows(IllegalArgumentException.class, () -> new Light(0, 0, 0, Frame.MODEL, 0.5, 0.5));
  }

  private static int[] pixels(BufferedImage img) {
    return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
  }
}
