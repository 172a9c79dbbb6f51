#!/usr/bin/env python3
"""A tiny RTSP server for tests and trials: a moving test pattern at rtsp://127.0.0.1:PORT/test.

Built on GStreamer's RTSP server through PyGObject (Debian: python3-gi gir1.2-gst-rtsp-server-1.0
gstreamer1.0-plugins-base gstreamer1.0-plugins-good, plus gstreamer1.0-plugins-ugly for H.264).
Run it with the system interpreter (/usr/bin/python3): that is where Debian installs python3-gi.

  rtsp-server.py --port 0            # picks a free port; prints "READY rtsp://127.0.0.1:PORT/test"
  rtsp-server.py --port 8554 --codec jpeg --size 160x120 --rate 25
  rtsp-server.py --check             # exit 0 when everything it needs is installed, else 3 and why

SIGTERM or SIGINT stops it: every client's connection is closed, as when a camera goes away.
"""
import argparse
import signal
import sys

MISSING = 3

ENCODERS = {
    # key-int-max: a keyframe every second, so a client that (re)connects gets a picture quickly.
    "h264": ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max={rate} bitrate=256"
             " ! rtph264pay name=pay0 pt=96 config-interval=1", ["x264enc", "rtph264pay"]),
    "jpeg": ("jpegenc quality=70 ! rtpjpegpay name=pay0 pt=26", ["jpegenc", "rtpjpegpay"]),
}


def load_gstreamer():
    """Imports GStreamer and its RTSP server; returns (Gst, GstRtspServer, GLib) or exits with MISSING."""
    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GLib, Gst, GstRtspServer
    except (ImportError, ValueError) as error:
        print(f"rtsp-server: GStreamer RTSP server bindings unavailable ({error}); "
              "install python3-gi gir1.2-gst-rtsp-server-1.0", file=sys.stderr)
        sys.exit(MISSING)
    Gst.init(None)
    return Gst, GstRtspServer, GLib


def missing_elements(gst, codec):
    needed = ["videotestsrc", "videoconvert"] + ENCODERS[codec][1]
    return [name for name in needed if gst.ElementFactory.find(name) is None]


def parse_args():
    parser = argparse.ArgumentParser(description="RTSP test-pattern server")
    parser.add_argument("--port", type=int, default=8554, help="TCP port; 0 picks a free one")
    parser.add_argument("--path", default="/test", help="mount path (default /test)")
    parser.add_argument("--codec", choices=sorted(ENCODERS), default="h264")
    parser.add_argument("--size", default="160x120", help="WIDTHxHEIGHT")
    parser.add_argument("--rate", type=int, default=25, help="frames per second (ffmpeg probes ~20 frames before its first one)")
    parser.add_argument("--check", action="store_true", help="only check that the prerequisites are installed")
    return parser.parse_args()


def main():
    args = parse_args()
    gst, rtsp, glib = load_gstreamer()
    missing = missing_elements(gst, args.codec)
    if missing:
        print(f"rtsp-server: GStreamer elements missing for codec {args.codec}: {', '.join(missing)}", file=sys.stderr)
        sys.exit(MISSING)
    if args.check:
        print(f"rtsp-server: ready to serve ({args.codec})")
        return

    width, height = (int(part) for part in args.size.lower().split("x"))
    encoder = ENCODERS[args.codec][0].format(rate=args.rate)
    launch = (f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},"
              f"framerate={args.rate}/1 ! videoconvert ! video/x-raw,format=I420 ! {encoder} )")

    server = rtsp.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = rtsp.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)  # every client watches the same pipeline, like a camera
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"rtsp-server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        sys.exit(1)

    loop = glib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        glib.unix_signal_add(glib.PRIORITY_HIGH, signum, loop.quit)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
