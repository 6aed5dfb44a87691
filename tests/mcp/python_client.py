"""Anvil's MCP server through the official Python client (`mcp`, see requirements.txt).

python_client.py URL CREDENTIAL MODE   (MODE: auto, which negotiates 2026-07-28, or legacy)

Lists every prompt (page by page), renders one with typed arguments, asks for one without its
required argument, and on 2026-07-28 listens for prompts/list_changed: it prints LISTENING when
the subscription is acknowledged and CHANGED when the notification arrives. Its last line is a
JSON summary that mcp.test.mjs checks.
"""

import json
import sys

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import PromptsListChanged
from mcp.shared.exceptions import MCPError
from mcp.types import Implementation


async def main(url: str, credential: str, mode: str) -> None:
    summary: dict = {}
    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {credential}"},
        timeout=httpx2.Timeout(30.0, read=60.0),
    )
    async with http:
        transport = streamable_http_client(url, http_client=http)
        info = Implementation(name="anvil-tests", version="1.0")
        async with Client(transport, mode=mode, client_info=info) as client:
            summary["protocol_version"] = client.protocol_version
            names, pages, cursor, arguments = [], 0, None, {}
            while True:
                page = await client.list_prompts(cursor=cursor)
                pages += 1
                for p in page.prompts:
                    names.append(p.name)
                    arguments[p.name] = [
                        {"name": a.name, "description": a.description, "required": a.required}
                        for a in (p.arguments or [])
                    ]
                cursor = page.next_cursor
                if cursor is None:
                    break
            summary["names"] = names
            summary["pages"] = pages
            summary["welcome_arguments"] = arguments.get("support/emails@stable/welcome")
            got = await client.get_prompt(
                "support/emails@stable/welcome",
                {"customer_name": "Ada", "seats": "3", "vip": "true", "tags": '["a"]'},
            )
            summary["rendered"] = got.messages[0].content.text
            summary["role"] = got.messages[0].role
            try:
                await client.get_prompt("support/emails@stable/welcome", {"seats": "2"})
                summary["missing"] = None
            except MCPError as e:
                summary["missing"] = {"code": e.code, "message": e.message}
            if client.protocol_version == "2026-07-28":
                async with client.listen(prompts_list_changed=True) as sub:
                    print("LISTENING", flush=True)
                    with anyio.fail_after(20):
                        async for event in sub:
                            if isinstance(event, PromptsListChanged):
                                print("CHANGED", flush=True)
                                summary["changed"] = True
                                break
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3])
