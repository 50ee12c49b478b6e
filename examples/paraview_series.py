#!/usr/bin/env python3
"""Open a ferrosim --series-out directory as ParaView would (its series.pvd) and render one
timestep with VTK: the particles as arrows along ξ coloured by the spin σ (orange-red +1,
blue -1, as in ferroviz), the effective velocity (1.10) as streamlines coloured by speed, and
the outline of the field's grid. Offscreen, to PNG; on a machine without a display run it
under xvfb-run. Debian's VTK through /usr/bin/python3:

    build/ferrosim --n 800 --eps 0.05 --b 1 --H 0,0,1 --grad 1 --t-end 1 --every 10 \\
                   --series-out series
    xvfb-run -a /usr/bin/python3 examples/paraview_series.py series/series.pvd out.png [--time T]

(docs/paraview-series.png is exactly this.)

(--time picks the timestep nearest T; default the last.) In ParaView itself: File > Open
series.pvd, Glyph (orientation xi, colour sigma) on part 0, Stream Tracer on part 1, Play.
"""
import argparse
import math
import os
import xml.etree.ElementTree as ET

from vtkmodules.vtkCommonColor import vtkNamedColors  # noqa: F401  (loads colour names)
from vtkmodules.vtkCommonCore import vtkLookupTable, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkPolyData
from vtkmodules.vtkFiltersCore import vtkGlyph3D
from vtkmodules.vtkFiltersFlowPaths import vtkStreamTracer
from vtkmodules.vtkFiltersModeling import vtkOutlineFilter
from vtkmodules.vtkFiltersSources import vtkArrowSource
from vtkmodules.vtkIOImage import vtkPNGWriter
from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLPolyDataReader
from vtkmodules.vtkRenderingCore import (vtkActor, vtkPolyDataMapper, vtkRenderer,
                                         vtkRenderWindow, vtkWindowToImageFilter)
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (the OpenGL back end)


def pvd_timesteps(path):
    """{time: {part: file}} from a ParaView collection."""
    steps = {}
    for d in ET.parse(path).getroot().iter("DataSet"):
        steps.setdefault(float(d.get("timestep")), {})[int(d.get("part"))] = os.path.join(
            os.path.dirname(path), d.get("file"))
    return steps


def read(reader, path):
    reader.SetFileName(path)
    reader.Update()
    return reader.GetOutput()


def arrows(particles):
    arrow = vtkArrowSource()
    arrow.SetTipLength(0.35)
    arrow.SetTipRadius(0.12)
    arrow.SetShaftRadius(0.045)
    arrow.SetTipResolution(16)
    arrow.SetShaftResolution(12)
    glyph = vtkGlyph3D()
    glyph.SetInputData(particles)
    glyph.SetSourceConnection(arrow.GetOutputPort())
    glyph.SetInputArrayToProcess(1, 0, 0, 0, "xi")     # orientation: the vectors xi
    glyph.SetInputArrayToProcess(3, 0, 0, 0, "sigma")  # colour: the scalars sigma
    glyph.SetVectorModeToUseVector()
    glyph.SetScaleModeToDataScalingOff()
    glyph.SetColorModeToColorByScalar()
    glyph.SetScaleFactor(1.6 * particles.GetNumberOfPoints() ** (-1 / 3))
    glyph.OrientOn()
    lut = vtkLookupTable()  # sigma = -1 blue, +1 orange-red
    lut.SetNumberOfTableValues(2)
    lut.SetTableRange(-1, 1)
    lut.SetTableValue(0, 0.23, 0.45, 0.95, 1)
    lut.SetTableValue(1, 0.95, 0.35, 0.15, 1)
    lut.Build()
    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(glyph.GetOutputPort())
    mapper.SetLookupTable(lut)
    mapper.SetScalarRange(-1, 1)
    mapper.SetScalarModeToUsePointFieldData()
    mapper.SelectColorArray("sigma")
    actor = vtkActor()
    actor.SetMapper(mapper)
    return actor


def seed_points(n, radius):
    """n points spread through the ball (Fibonacci directions, radii ~ cube root): the same
    picture every run."""
    pts = vtkPoints()
    golden = math.pi * (3 - math.sqrt(5))
    for i in range(n):
        z = 1 - 2 * (i + 0.5) / n
        r = math.sqrt(1 - z * z)
        rad = radius * ((i * 0.618034) % 1) ** (1 / 3)
        pts.InsertNextPoint(rad * r * math.cos(golden * i), rad * r * math.sin(golden * i), rad * z)
    poly = vtkPolyData()
    poly.SetPoints(pts)
    return poly


def streamlines(field):
    tracer = vtkStreamTracer()
    tracer.SetInputData(field)
    tracer.SetSourceData(seed_points(70, 1.1))
    tracer.SetInputArrayToProcess(0, 0, 0, 0, "velocity")
    tracer.SetIntegrationDirectionToBoth()
    tracer.SetMaximumPropagation(3.0)
    tracer.SetComputeVorticity(False)
    tracer.Update()
    speed = tracer.GetOutput().GetPointData().GetArray("velocity")
    lut = vtkLookupTable()  # dark blue -> green -> yellow, after viridis
    lut.SetHueRange(0.7, 0.15)
    lut.SetSaturationRange(0.8, 0.9)
    lut.SetValueRange(0.5, 1.0)
    lut.SetVectorModeToMagnitude()
    lut.Build()
    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(tracer.GetOutputPort())
    mapper.SetLookupTable(lut)
    mapper.SetScalarModeToUsePointFieldData()
    mapper.SelectColorArray("velocity")
    if speed is not None:
        mapper.SetScalarRange(0, speed.GetMaxNorm() or 1)
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetLineWidth(1.5)
    actor.GetProperty().SetOpacity(0.55)
    return actor


def outline(field):
    box = vtkOutlineFilter()
    box.SetInputData(field)
    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(box.GetOutputPort())
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(0.6, 0.6, 0.6)
    return actor


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pvd")
    ap.add_argument("png")
    ap.add_argument("--time", type=float, default=None)
    ap.add_argument("--size", default="1280x720")
    a = ap.parse_args()
    steps = pvd_timesteps(a.pvd)
    if not steps:
        raise SystemExit("%s: no timesteps" % a.pvd)
    t = max(steps) if a.time is None else min(steps, key=lambda s: abs(s - a.time))
    ren = vtkRenderer()
    ren.SetBackground(0.08, 0.08, 0.1)
    particles = read(vtkXMLPolyDataReader(), steps[t][0])
    ren.AddActor(arrows(particles))
    if 1 in steps[t]:
        field = read(vtkXMLImageDataReader(), steps[t][1])
        ren.AddActor(streamlines(field))
        ren.AddActor(outline(field))
    cam = ren.GetActiveCamera()
    cam.SetFocalPoint(0, 0, 0)
    cam.SetPosition(4.4, -5.8, 3.0)
    cam.SetViewUp(0, 0, 1)
    ren.ResetCameraClippingRange()
    cam.Zoom(1.0)
    win = vtkRenderWindow()
    win.SetOffScreenRendering(1)
    win.SetSize(*(int(v) for v in a.size.split("x")))
    win.AddRenderer(ren)
    win.Render()
    grab = vtkWindowToImageFilter()
    grab.SetInput(win)
    grab.Update()
    png = vtkPNGWriter()
    png.SetFileName(a.png)
    png.SetInputConnection(grab.GetOutputPort())
    png.Write()
    print("t = %g: %d particles -> %s" % (t, particles.GetNumberOfPoints(), a.png))


if __name__ == "__main__":
    main()
