"""Our own FastAGI stack: a pure wire codec (``codec``), one channel object per call
(``channel``) and a small asyncio TCP server (``server``)."""
