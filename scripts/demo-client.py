#!/usr/bin/env python3
"""A tiny WebSocket client for the demo: connects, sends one echo message, prints what comes back.

Usage: .venv/bin/python scripts/demo-client.py [ws://127.0.0.1:3001/local] [message]
"""
import json
import sys

import websocket

url = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:3001/local"
text = sys.argv[2] if len(sys.argv) > 2 else "hello from the demo client"
ws = websocket.create_connection(url, timeout=5)
payload = json.dumps({"action": "echo", "message": text})
print("sent:", payload)
ws.send(payload)
print("got: ", ws.recv())
ws.close()
