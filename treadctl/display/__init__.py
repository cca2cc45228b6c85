"""The view-only big screen: a web page for a tablet or TV on the wall the walker faces.

``address`` parses ``--display [HOST:]PORT`` and decides whether a token is needed; ``model``
turns the session's view into the page's JSON (pure); ``hub`` fans it out to any number of viewers
through bounded queues; ``server`` is the aiohttp app on its own thread (the optional ``display``
extra); ``qr`` draws the address as a QR code for the terminal; ``attach`` wires it to a session.
The page itself (``static/``) is plain HTML, CSS and a little JavaScript.
"""
