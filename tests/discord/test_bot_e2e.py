"""The real bot over loopback against the Discord stand-in: what participants and admins would see."""

from __future__ import annotations

import logging
import re

from bot.answer import Answer, Citation
from bot.testing.discord_server import ADMIN_ROLE_ID, ASK_CHANNEL_ID, BOT_ID, CHANNEL_ID, MANAGE_GUILD, member
from bot.testing.harness import TOKEN
from bot.testing.openai_server import Reply

EPHEMERAL = 64


def pings_no_one(body: dict) -> bool:
    mentions = body.get("allowed_mentions") or {}
    return (mentions.get("parse") == [] and not mentions.get("users") and not mentions.get("roles")
            and not mentions.get("replied_user"))


def posted_in(channel: int | str):
    return lambda c: c.method == "POST" and c.path.endswith(f"/channels/{channel}/messages")


async def test_a_mention_is_answered_in_a_thread_with_numbered_sources(harness):
    message = await harness.say(f"<@{BOT_ID}> Where was the roundtable held?", mention_bot=True)
    thread = await harness.server.wait_for(lambda c: c.path.endswith(f"/messages/{message['id']}/threads"))
    assert "roundtable" in thread.body["name"].lower()
    thread_id = harness.bot.get_channel(CHANNEL_ID).threads[-1].id
    answer = await harness.server.wait_for(posted_in(thread_id))
    assert "Arkitektur Center" in answer.body["content"] and "[1]" in answer.body["content"]
    [embed] = answer.body["embeds"]
    assert embed["title"] == "Sources" and "**[1]**" in embed["description"]
    assert pings_no_one(answer.body)
    buttons = answer.body["components"][0]["components"]
    assert [b["emoji"]["name"] for b in buttons] == ["👍", "👎"]

    # A follow-up in the thread needs no mention and uses the conversation.
    since = harness.server.mark()
    await harness.say("How many people attended it?", channel=thread_id)
    follow_up = await harness.server.wait_for(posted_in(thread_id), since=since)
    assert "32 participants" in follow_up.body["content"]


async def test_every_message_in_an_ask_channel_is_a_question(harness):
    since = harness.server.mark()
    await harness.say("Which countries did the delegation visit?", channel=ASK_CHANNEL_ID)
    answer = await harness.server.wait_for(lambda c: c.method == "POST" and "Sweden" in c.body.get("content", ""),
                                           since=since)
    assert "Belgium" in answer.body["content"]


async def test_slash_ask_is_deferred_at_once_then_edited_with_the_answer(harness):
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Who led the US cluster mission?"}],
                                  who=member(510, "asker"))
    edit = await harness.reply_to(token, "@original")
    callback = harness.server.calls_for(token)[0]
    assert callback.body["type"] == 5 and harness.server.interactions[token].ack_delay < 1.0
    assert "inno TSD" in edit.body["content"] and edit.body["embeds"][0]["title"] == "Sources"


async def test_a_private_ask_is_answered_ephemerally(harness):
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Who funded BILAT USA 4.0?"},
                                          {"name": "private", "type": 5, "value": True}], who=member(511, "shy"))
    await harness.reply_to(token, "@original")
    callback = harness.server.calls_for(token)[0]
    assert callback.body["type"] == 5 and callback.body["data"]["flags"] & EPHEMERAL


async def test_refusal_is_kind_and_says_what_to_try(harness):
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Which hotel did they stay in?"}],
                                  who=member(512, "curious"))
    edit = await harness.reply_to(token, "@original")
    assert "don't say" in edit.body["content"] and "/agenda" in edit.body["content"]
    assert not edit.body.get("embeds")


async def test_agenda_autocompletes_organisations_and_renders_an_embed(harness):
    focused = [{"name": "organisation", "type": 3, "value": "energ", "focused": True}]
    token = await harness.command("agenda", focused, kind=4)
    choices = (await harness.reply_to(token)).body["data"]["choices"]
    assert {"House of Energy", "EnergyVille"} <= {c["name"] for c in choices}

    token = await harness.command("agenda", [{"name": "organisation", "type": 3, "value": "EnergyVille"}])
    reply = await harness.reply_to(token)
    [embed] = reply.body["data"]["embeds"]
    assert "Visits" in embed["fields"][0]["name"] and "Belgium" in embed["fields"][0]["value"]


async def test_agenda_country_autocomplete_offers_the_programme_countries(harness):
    token = await harness.command("agenda", [{"name": "country", "type": 3, "value": "", "focused": True}], kind=4)
    choices = (await harness.reply_to(token)).body["data"]["choices"]
    assert [c["value"] for c in choices] == ["Denmark", "Sweden", "Belgium", "Netherlands"]
    token = await harness.command("agenda", [{"name": "country", "type": 3, "value": "bel", "focused": True}], kind=4)
    assert [c["value"] for c in (await harness.reply_to(token)).body["data"]["choices"]] == ["Belgium"]


async def test_agenda_says_how_it_read_an_ambiguous_day(harness):
    token = await harness.command("agenda", [{"name": "day", "type": 3, "value": "11/06/2018"}])
    [embed] = (await harness.reply_to(token)).body["data"]["embeds"]
    assert "11/06/2018 read as month/day: 6 November 2018" in embed["description"]
    assert "Roundtable" in embed["fields"][0]["name"]


async def test_agenda_day_autocomplete_offers_the_mission_days(harness):
    token = await harness.command("agenda", [{"name": "day", "type": 3, "value": "", "focused": True}], kind=4)
    choices = (await harness.reply_to(token)).body["data"]["choices"]
    assert [c["value"] for c in choices] == ["2018-11-06", "2018-11-07", "2018-11-08", "2018-11-09"]


async def test_admin_commands_are_hidden_and_refused_to_non_admins(harness):
    synced = {c["name"]: c for c in harness.server.commands}
    assert int(synced["reindex"]["default_member_permissions"]) == MANAGE_GUILD
    assert int(synced["docs"]["default_member_permissions"]) == MANAGE_GUILD
    attachment = {"id": "66", "filename": "x.md", "size": 3, "url": f"http://127.0.0.1:{harness.server.port}/x",
                  "proxy_url": f"http://127.0.0.1:{harness.server.port}/x", "content_type": "text/markdown"}
    for name, options in [("reindex", []), ("reindex", [{"name": "full", "type": 5, "value": True}]),
                          ("feedback", []), ("docs", [{"name": "list", "type": 1, "options": []}]),
                          ("docs", [{"name": "remove", "type": 1, "options": [
                              {"name": "source", "type": 3, "value": "us-cluster-mission-to-the-eu-2018.txt"}]}]),
                          ("docs", [{"name": "add", "type": 1, "options": [
                              {"name": "file", "type": 11, "value": "66"}]}])]:
        resolved = {"attachments": {"66": attachment}} if options and options[0]["name"] == "add" else None
        token = await harness.command(name, options, who=member(520, "prankster"), resolved=resolved)
        reply = await harness.reply_to(token)
        assert reply.body["data"]["flags"] & EPHEMERAL and "for admins" in reply.body["data"]["content"]
    assert (harness.docs / "us-cluster-mission-to-the-eu-2018.txt").is_file()


async def test_an_admin_reindex_reports_counts(harness):
    token = await harness.command("reindex", who=member(530, "organiser", roles=[ADMIN_ROLE_ID]))
    edit = await harness.reply_to(token, "@original")
    assert re.search(r"0 added, 0 updated, [1-9]\d* unchanged, 0 removed, 0 failed", edit.body["content"])


async def test_docs_add_stores_a_safe_name_indexes_it_and_rejects_broken_files(harness):
    admin = member(531, "organiser")
    notes = b"---\ntitle: Field notes\n---\nOn 8 November the delegation met the Aarhus harbour authority.\n"
    harness.server.attachments["notes.md"] = notes
    attachment = {"id": "77", "filename": "../../etc/notes.md", "size": len(notes),
                  "url": f"http://127.0.0.1:{harness.server.port}/attachments/notes.md",
                  "proxy_url": f"http://127.0.0.1:{harness.server.port}/attachments/notes.md",
                  "content_type": "text/markdown"}
    token = await harness.command("docs", [{"name": "add", "type": 1, "options": [
        {"name": "file", "type": 11, "value": "77"}]}], who=admin, permissions=MANAGE_GUILD,
        resolved={"attachments": {"77": attachment}})
    edit = await harness.reply_to(token, "@original")
    assert "Added `notes.md`" in edit.body["content"] and "1 added" in edit.body["content"]
    assert (harness.docs / "notes.md").read_bytes() == notes
    assert not (harness.docs.parent / "etc").exists()

    harness.server.attachments["broken.pdf"] = b"this is not a PDF"
    broken = {**attachment, "id": "78", "filename": "broken.pdf", "size": 17,
              "url": attachment["url"].replace("notes.md", "broken.pdf"), "content_type": "application/pdf"}
    token = await harness.command("docs", [{"name": "add", "type": 1, "options": [
        {"name": "file", "type": 11, "value": "78"}]}], who=admin, permissions=MANAGE_GUILD,
        resolved={"attachments": {"78": broken}})
    edit = await harness.reply_to(token, "@original")
    assert edit.body["content"].startswith("Not added: broken.pdf could not be read")
    assert not (harness.docs / "broken.pdf").exists()


async def test_a_long_answer_is_split_within_discords_limits(harness, monkeypatch):
    quote = "A long quoted passage. " * 9
    long = Answer("q", " ".join(f"Sentence number {n} says something the documents state [{n % 8 + 1}]."
                               for n in range(200)), True, "extractive",
                  [Citation(n, "doc.txt", f"Document {n}", None, None, "Section", quote, f"c{n}", 0.5)
                   for n in range(1, 9)])

    async def fake_ask(question, key=None):
        return long
    monkeypatch.setattr(harness.bot.assistant, "ask", fake_ask)
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Tell me everything"}],
                                  who=member(540, "reader"))
    await harness.server.wait_for(lambda c: token in c.path and c.method == "POST" and c.body.get("components"))
    sent = [c for c in harness.server.calls_for(token) if c.method in ("PATCH", "POST") and "content" in c.body]
    assert len(sent) >= 4 and all(c.status == 200 and len(c.body["content"]) <= 2000 for c in sent)
    assert all(not c.body["content"].startswith("[") for c in sent)  # never cut before a marker
    assert "".join(c.body["content"] for c in sent).count("[") == long.answer.count("[")


async def test_everyone_in_a_question_pings_no_one(harness):
    since = harness.server.mark()
    await harness.say(f"<@{BOT_ID}> @everyone where was the roundtable held?", mention_bot=True,
                      author=member(550, "loud")["user"])
    answer = await harness.server.wait_for(lambda c: c.method == "POST" and "Arkitektur" in c.body.get("content", ""),
                                           since=since)
    assert pings_no_one(answer.body)
    thread = next(c for c in harness.server.calls[since:] if c.path.endswith("/threads"))
    assert "@everyone" in thread.body["name"]  # a thread name cannot ping; the message content could


async def test_feedback_buttons_record_one_changeable_vote_per_user(harness):
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Where was the roundtable?"}],
                                  who=member(560, "voter"))
    edit = await harness.reply_to(token, "@original")
    up, down = (b["custom_id"] for b in edit.body["components"][0]["components"])
    message = {**harness.server.message_payload(CHANNEL_ID, member(BOT_ID, "missionbot")["user"], "answer"),
               "components": edit.body["components"]}
    before = harness.bot.feedback.summary()
    voter = member(561, "voter")
    reply = await harness.reply_to(await harness.click(up, message, voter))
    assert reply.body["data"]["flags"] & EPHEMERAL and "Thanks" in reply.body["data"]["content"]
    await harness.reply_to(await harness.click(up, message, voter))
    await harness.reply_to(await harness.click(down, message, voter))
    after = harness.bot.feedback.summary()
    assert (after.up - before.up, after.down - before.down) == (0, 1)
    assert after.latest_down[0][0] == "Where was the roundtable?"


async def test_a_user_asking_too_fast_is_told_to_wait(harness):
    who = member(570, "hasty")
    tokens, replies = [], []
    for n in range(4):
        tokens.append(await harness.command("ask", [{"name": "question", "type": 3,
                                                     "value": f"Where was it held? {n}"}], who=who))
        replies.append(await harness.reply_to(tokens[-1]))
    assert [r.body["type"] for r in replies] == [5, 5, 5, 4]
    assert "asking quickly" in replies[-1].body["data"]["content"]
    for token in tokens[:3]:  # the three accepted questions are answered all the same
        await harness.reply_to(token, "@original")


async def test_an_llm_outage_is_answered_by_the_extractive_fallback(harness, openai_server):
    from bot.llm import LLMAnswerer

    settings = harness.settings.model_copy(update={"llm_model": "m", "openai_base_url": openai_server.url,
                                                   "llm_max_retries": 0, "llm_timeout": 2})
    openai_server.script(Reply(status=500))
    harness.bot.assistant.engine.llm = LLMAnswerer.from_settings(settings)
    try:
        question = [{"name": "question", "type": 3, "value": "Where was the roundtable held?"}]
        token = await harness.command("ask", question, who=member(580, "patient"))
        edit = await harness.reply_to(token, "@original")
    finally:
        harness.bot.assistant.engine.llm = None
    assert "Arkitektur Center" in edit.body["content"]
    assert "HTTP 500" in edit.body["content"] and "extractive answer" in edit.body["content"]


async def test_an_unexpected_failure_gets_a_private_error_id_that_is_in_the_log(harness, monkeypatch, caplog):
    async def broken(question, key=None):
        raise RuntimeError("boom")
    monkeypatch.setattr(harness.bot.assistant, "ask", broken)
    with caplog.at_level(logging.ERROR):
        token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Anything?"}],
                                      who=member(590, "unlucky"))
        reply = await harness.reply_to(token, token)  # a follow-up webhook after the (public) deferral
    error_id = re.search(r"error `([0-9a-f]{8})`", reply.body["content"]).group(1)
    assert reply.ephemeral is True and error_id in caplog.text and "boom" in caplog.text
    public = [c for c in harness.server.calls_for(token) if c.ephemeral is False]
    assert public and not any(error_id in c.body.get("content", "") for c in public)


async def test_everything_the_bot_sent_was_accepted_and_could_ping_no_one(harness):
    # Whatever ran before, this test makes the bot send an answer of each kind itself.
    since = harness.server.mark()
    await harness.say(f"<@{BOT_ID}> @everyone who led the mission? <@123>", mention_bot=True,
                      author=member(650, "loud")["user"])
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "@here who funded it? <@&9>"}],
                                  who=member(651, "loud"))
    await harness.reply_to(token, "@original")
    await harness.server.wait_for(lambda c: c.method == "POST" and "inno TSD" in c.body.get("content", ""), since=since)
    sent = [c for c in harness.server.calls if c.method in ("POST", "PATCH") and "/messages" in c.path
            or "/webhooks/" in c.path]
    assert sent and all(c.status == 200 for c in sent), [c for c in sent if c.status != 200]
    assert all(pings_no_one(c.body) for c in sent if c.body.get("content"))
    late = [t for t, i in harness.server.interactions.items() if i.ack_delay is not None and i.ack_delay > 3]
    assert not late and TOKEN not in str([c.body for c in harness.server.calls])
    assert harness.logs and not any(TOKEN in line for line in harness.logs)


async def test_sources_status_and_help_answer_privately(harness):
    token = await harness.command("sources", who=member(600, "reader"))
    def listed():
        return "".join(c.body.get("content", "") for c in harness.server.calls_for(token))
    await harness.server.wait_for(lambda c: token in c.path and "us-cluster-mission-to-the-eu-2018.txt" in listed())
    listing = listed()
    assert "us-cluster-mission-to-the-eu-2018.txt" in listing and "related/energyville.md" in listing
    assert "`related/the-vault.md`, 1 chunk," in listing and not re.search(r"\b1 chunks", listing)
    token = await harness.command("status", who=member(600, "reader"))
    status = await harness.reply_to(token, "@original")
    fields = {f["name"]: f["value"] for f in status.body["embeds"][0]["fields"]}
    assert fields["Answer mode"] == "extractive" and "MiniLM" in fields["Embedding model"]
    assert int(fields["Chunks"]) > 10
    reply = await harness.reply_to(await harness.command("help", who=member(600, "reader")))
    assert reply.body["data"]["flags"] & EPHEMERAL and "/agenda" in reply.body["data"]["content"]


async def test_an_over_long_question_gets_a_clear_private_message(harness):
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": "why " * 400}],
                                  who=member(610, "verbose"))
    reply = await harness.reply_to(token)
    assert reply.ephemeral is True and "under 1,000 characters" in reply.body["data"]["content"]


async def test_a_second_reindex_while_one_runs_is_told_so(harness):
    admin = member(620, "organiser", roles=[ADMIN_ROLE_ID])
    first = await harness.command("reindex", [{"name": "full", "type": 5, "value": True}], who=admin)
    await harness.reply_to(first)  # deferred; the full re-index is running
    second = await harness.reply_to(await harness.command("reindex", who=admin))  # at once, not deferred
    assert second.ephemeral is True
    assert "A re-index is already running; try again when it has finished." in second.body["data"]["content"]
    done = await harness.reply_to(first, "@original", timeout=60)
    assert re.search(r"[1-9]\d* added, 0 updated, 0 unchanged", done.body["content"])


async def test_docs_remove_deletes_the_file_and_its_passages(harness):
    admin = member(630, "organiser", roles=[ADMIN_ROLE_ID])
    (harness.docs / "old.md").write_text("# Old\nThe delegation planned a boat trip that was cancelled.\n")
    await harness.reply_to(await harness.command("reindex", who=admin), "@original")
    focused = [{"name": "remove", "type": 1, "options": [
        {"name": "source", "type": 3, "value": "old", "focused": True}]}]
    choices = (await harness.reply_to(await harness.command("docs", focused, who=admin, kind=4))).body
    assert [c["value"] for c in choices["data"]["choices"]] == ["old.md"]
    token = await harness.command("docs", [{"name": "remove", "type": 1, "options": [
        {"name": "source", "type": 3, "value": "old.md"}]}], who=admin)
    edit = await harness.reply_to(token, "@original")
    assert "Removed `old.md`" in edit.body["content"] and "1 removed" in edit.body["content"]
    assert not (harness.docs / "old.md").exists()
    token = await harness.command("docs", [{"name": "remove", "type": 1, "options": [
        {"name": "source", "type": 3, "value": "../../etc/passwd"}]}], who=admin)
    edit = await harness.reply_to(token, "@original")
    assert "Not removed" in edit.body["content"]


async def test_docs_add_names_every_format_the_indexer_reads(harness):
    from ingest import SUPPORTED_FORMATS

    docs = next(c for c in harness.server.commands if c["name"] == "docs")
    add = next(o for o in docs["options"] if o["name"] == "add")
    described = add["options"][0]["description"]
    assert all(f" {suffix.lstrip('.')}" in described.replace(",", " ") for suffix in SUPPORTED_FORMATS), described


async def test_docs_list_and_remove_offer_documents_not_their_metadata_files(harness):
    admin = member(631, "organiser", roles=[ADMIN_ROLE_ID])
    sidecar = "us-cluster-mission-to-the-eu-2018.txt.meta.yaml"
    listing = (await harness.reply_to(await harness.command("docs", [{"name": "list", "type": 1, "options": []}],
                                                            who=admin))).body["data"]["content"]
    assert "`us-cluster-mission-to-the-eu-2018.txt`" in listing and "meta.yaml" not in listing
    focused = [{"name": "remove", "type": 1, "options": [
        {"name": "source", "type": 3, "value": "us-cluster", "focused": True}]}]
    choices = (await harness.reply_to(await harness.command("docs", focused, who=admin, kind=4))).body
    assert [c["value"] for c in choices["data"]["choices"]] == ["us-cluster-mission-to-the-eu-2018.txt"]
    token = await harness.command("docs", [{"name": "remove", "type": 1, "options": [
        {"name": "source", "type": 3, "value": sidecar}]}], who=admin)
    edit = await harness.reply_to(token, "@original")
    assert "Not removed" in edit.body["content"] and (harness.docs / sidecar).is_file()
