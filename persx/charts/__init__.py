"""The chart kit of the measurement screens: server-rendered SVG, no JavaScript, no CDN.

Geometry is plain Python (:mod:`~persx.charts.scale` for axes and ticks, one module per
chart kind returning frozen dataclasses of pixels, SVG point lists and label texts); the
markup is in the autoescaped templates ``persx_charts/<kind>.html``, which all extend
``persx_charts/frame.html`` (the ``<svg>`` element, its ``<title>`` and ``<desc>``, the
font and background). One palette (:mod:`~persx.charts.style`) and one set of number
formats (:mod:`~persx.charts.number_format`, the ``persx_charts`` template filters) serve
every chart and every measurement screen.
"""
