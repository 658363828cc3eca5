"""Every message a person reads, in Spanish and English, and the small formatting helpers
(numbers, plurals, ordinals, dates, durations) that differ between the two.

Kept in one place so a wording fix or a new language touches one file, and so a test can check
that both languages have every message with the same placeholders. Templates are `str.format`
strings; values are escaped by the caller (cards) before they are substituted, never here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from bot.config import Lang

LANGS: Final[tuple[Lang, ...]] = ("es", "en")

# Result codes Wolkvox documents (campaign docs), lower-case with "-" separators.
RESULT_LABELS: Final[dict[str, dict[Lang, str]]] = {
    "answer": {"es": "Contestada", "en": "Answered"},
    "no-answer": {"es": "Sin respuesta", "en": "No answer"},
    "answer-machine": {"es": "Contestador automático", "en": "Answering machine"},
    "abandon": {"es": "Abandonada", "en": "Abandoned"},
    "busy": {"es": "Ocupado", "en": "Busy"},
    "congestion": {"es": "Congestión de red", "en": "Network congestion"},
    "unknown": {"es": "Desconocido", "en": "Unknown"},
    "failed": {"es": "Fallida", "en": "Failed"},
    "do-not-call": {"es": "No llamar", "en": "Do not call"},
    "chanunavail": {"es": "Canal no disponible", "en": "Channel unavailable"},
}

_MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

# key → {lang: template}. Keys ending in _one/_other are plural forms chosen by `tn`.
MESSAGES: Final[dict[str, dict[Lang, str]]] = {
    # ---- the result card
    "query_id": {"es": "id {id}", "en": "id {id}"},
    "query_campaign": {"es": "campaña {id}", "en": "campaign {id}"},
    "records_one": {"es": "{n} registro", "en": "{n} record"},
    "records_other": {"es": "{n} registros", "en": "{n} records"},
    "in_campaigns_one": {"es": "en {n} campaña", "en": "in {n} campaign"},
    "in_campaigns_other": {"es": "en {n} campañas", "en": "in {n} campaigns"},
    "last_contact": {"es": "último contacto {date}", "en": "last contact {date}"},
    "last_contact_unknown": {
        "es": "fecha del último contacto desconocida",
        "en": "date of last contact unknown",
    },
    "campaign_title": {"es": "{name} · campaña {id}", "en": "{name} · campaign {id}"},
    "campaign_title_no_name": {"es": "Campaña {id}", "en": "Campaign {id}"},
    "campaign_none": {"es": "Sin campaña", "en": "No campaign"},
    "campaign_in_operation": {"es": "{operation} · {title}", "en": "{operation} · {title}"},
    "operation_gaps": {
        "es": "Sin respuesta de {gaps}: lo de arriba es lo que sí respondió.",
        "en": "No answer from {gaps}: above is what did answer.",
    },
    "operation_gap": {"es": "{name} ({why})", "en": "{name} ({why})"},
    "operation_empty": {
        "es": "Sin registros en {names}.",
        "en": "No records in {names}.",
    },
    # Why an operation did not answer, in a word or two (the card's gaps line).
    "gap_unavailable": {"es": "no disponible", "en": "unavailable"},
    "gap_circuit_open": {
        "es": "en pausa tras varios fallos",
        "en": "paused after repeated failures",
    },
    "gap_timeout": {"es": "no respondió a tiempo", "en": "timed out"},
    "gap_quota_exceeded": {"es": "cuota de hoy agotada", "en": "today's quota spent"},
    "gap_token_rejected": {"es": "token rechazado", "en": "token rejected"},
    "gap_token_missing": {"es": "sin token", "en": "no token"},
    "gap_simultaneous_limit": {"es": "ocupado", "en": "busy"},
    "gap_busy": {"es": "demasiadas búsquedas en cola", "en": "too many searches queued"},
    "gap_broken_answer": {"es": "respuesta dañada", "en": "broken answer"},
    "gap_upstream_error": {"es": "error de Wolkvox", "en": "Wolkvox error"},
    "gap_upstream": {"es": "error de Wolkvox", "en": "Wolkvox error"},
    "operation_still_searching": {
        "es": "todavía buscando",
        "en": "still searching",
    },
    "field_customer": {"es": "Cliente", "en": "Customer"},
    "field_customer_id": {"es": "Identificación", "en": "Customer id"},
    "field_phone": {"es": "Teléfono", "en": "Phone"},
    "field_last_contact": {"es": "Último contacto", "en": "Last contact"},
    "field_result": {"es": "Resultado", "en": "Result"},
    "field_calls": {"es": "Llamadas", "en": "Calls"},
    "field_conn_id": {"es": "ID de llamada", "en": "Call id"},
    "field_records": {"es": "Registros", "en": "Records"},
    "age_live": {"es": "En vivo", "en": "Live"},
    "age_cache": {"es": "De la caché, {ago}", "en": "From cache, {ago}"},
    "ago_now": {"es": "hace un momento", "en": "just now"},
    "ago_s": {"es": "hace {n} s", "en": "{n} s ago"},
    "ago_min": {"es": "hace {n} min", "en": "{n} min ago"},
    "ago_h": {"es": "hace {n} h", "en": "{n} h ago"},
    "ago_d": {"es": "hace {n} d", "en": "{n} d ago"},
    "took": {"es": "Wolkvox tardó {s}", "en": "Wolkvox took {s}"},
    "coalesced": {
        "es": "respondida junto con una búsqueda idéntica",
        "en": "answered together with an identical search",
    },
    "shared_by": {"es": "Compartido por {user}", "en": "Shared by {user}"},
    "left_out_one": {
        "es": "{n} campaña más sin mostrar.",
        "en": "{n} more campaign not shown.",
    },
    "left_out_other": {
        "es": "{n} campañas más sin mostrar.",
        "en": "{n} more campaigns not shown.",
    },
    "left_out_show_all": {
        "es": "Usa *Ver todo* para verlas.",
        "en": "Use *Show all* to see them.",
    },
    "button_share": {"es": "Compartir en el canal", "en": "Share in channel"},
    "button_refresh": {"es": "Actualizar", "en": "Refresh"},
    "button_export_csv": {"es": "Exportar CSV", "en": "Export CSV"},
    "export_preparing": {
        "es": "Preparando el CSV con todos los registros de {query}… te llega por mensaje directo.",
        "en": "Preparing the CSV with every record for {query}… it will arrive in a DM.",
    },
    "export_done": {
        "es": "Listo: {rows} en el CSV, en tu mensaje directo con Wolkvox.",
        "en": "Done: {rows} in the CSV, in your direct message with Wolkvox.",
    },
    "export_comment": {
        "es": "Todos los registros de {query} en Wolkvox ({rows}).",
        "en": "Every Wolkvox record for {query} ({rows}).",
    },
    "export_upload_failed": {
        "es": "No pude subir el CSV a Slack; inténtalo de nuevo en un momento.",
        "en": "I couldn't upload the CSV to Slack; try again in a moment.",
    },
    "button_show_all": {"es": "Ver todo", "en": "Show all"},
    "button_call": {"es": "📞 Llamar", "en": "📞 Call"},
    "dial_confirm_title": {"es": "¿Llamar al cliente?", "en": "Call the customer?"},
    "dial_confirm_text": {
        "es": "¿Marcar {phone} desde tu Wolkvox Agent, extensión {extension}?",
        "en": "Dial {phone} from your Wolkvox Agent, extension {extension}?",
    },
    "dial_confirm_text_no_extension": {
        "es": "¿Marcar {phone} desde tu Wolkvox Agent?",
        "en": "Dial {phone} from your Wolkvox Agent?",
    },
    "dial_confirm_yes": {"es": "Llamar", "en": "Call"},
    "dial_confirm_no": {"es": "Cancelar", "en": "Cancel"},
    "dial_offer": {
        "es": "📞 Llamar a {phone} desde tu Wolkvox Agent (extensión {extension}).",
        "en": "📞 Call {phone} from your Wolkvox Agent (extension {extension}).",
    },
    "dial_offer_in": {
        "es": "📞 Llamar a {phone}: elige la operación.",
        "en": "📞 Call {phone}: choose the operation.",
    },
    "dial_done": {
        "es": "Tu Wolkvox Agent está marcando {phone} (extensión {extension}).",
        "en": "Your Wolkvox Agent is dialling {phone} (extension {extension}).",
    },
    "dial_duplicate": {
        "es": "Ya se está marcando {phone}: una sola llamada por pulsación (espera 30 s).",
        "en": "{phone} is already being dialled: one call per press (wait 30 s).",
    },
    "dial_unknown": {
        "es": "No sabemos si Wolkvox marcó {phone}: mira tu Wolkvox Agent antes de volver "
        "a pulsar.",
        "en": "We do not know whether Wolkvox dialled {phone}: check your Agent before "
        "pressing again.",
    },
    "dial_refused": {
        "es": "Wolkvox no marcó {phone}: {why}.",
        "en": "Wolkvox did not dial {phone}: {why}.",
    },
    "dial_why_agent_not_logged_in": {
        "es": "tu Wolkvox Agent no tiene sesión abierta",
        "en": "your Wolkvox Agent is not logged in",
    },
    "dial_why_unknown_extension": {
        "es": "la extensión {extension} no existe en esa operación",
        "en": "extension {extension} does not exist in that operation",
    },
    "dial_why_dial_refused": {"es": "Wolkvox lo rechazó", "en": "Wolkvox refused"},
    "dial_why_token_rejected": {"es": "el token fue rechazado", "en": "the token was rejected"},
    "dial_why_other": {"es": "{kind}", "en": "{kind}"},
    "dial_no_extension": {
        "es": "Para llamar desde Slack, tu usuario necesita su extensión de Wolkvox{where}. "
        "Vincúlala una vez en la pestaña *Inicio* de la app (*Mi extensión de Wolkvox*) o "
        "pide a un administrador que la añada.",
        "en": "To call from Slack, your user needs its Wolkvox extension{where}. Link it once "
        "on the app's *Home* tab (*My Wolkvox extension*) or ask an administrator to add it.",
    },
    "dial_no_extension_admin_only": {
        "es": "Para llamar desde Slack, un administrador debe asociar tu usuario a tu "
        "extensión de Wolkvox{where}.",
        "en": "To call from Slack, an administrator must map your user to your Wolkvox "
        "extension{where}.",
    },
    "dial_in_operation": {"es": " en {name}", "en": " in {name}"},
    "dial_rate_limited": {
        "es": "Demasiadas llamadas desde Slack en la última hora; prueba en {minutes} min.",
        "en": "Too many calls from Slack in the last hour; try again in {minutes} min.",
    },
    "dial_stale": {
        "es": "Este botón ya no sirve: vuelve a buscar al cliente.",
        "en": "This button no longer works: search the customer again.",
    },
    "dial_not_here": {
        "es": "Llamar solo se ofrece en una respuesta privada: usa /wolkvox llamar.",
        "en": "Calling is offered on a private answer only: use /wolkvox call.",
    },
    "dial_not_yours": {
        "es": "Ese botón de llamada es de otra persona.",
        "en": "That call button belongs to someone else.",
    },
    "home_extension_title": {"es": "Mi extensión de Wolkvox", "en": "My Wolkvox extension"},
    "home_extension_none": {
        "es": "Sin extensión: vincúlala para llamar a clientes desde las tarjetas.",
        "en": "No extension yet: link it to call customers from the cards.",
    },
    "home_extension_is": {
        "es": "{where}extensión *{extension}* ({how})",
        "en": "{where}extension *{extension}* ({how})",
    },
    "home_extension_how_admin": {
        "es": "asignada por un administrador",
        "en": "set by an administrator",
    },
    "home_extension_how_email": {"es": "por tu correo", "en": "from your e-mail"},
    "home_extension_how_link": {"es": "vinculada por ti", "en": "linked by you"},
    "button_link_extension": {"es": "Vincular mi extensión", "en": "Link my extension"},
    "button_unlink_extension": {"es": "Desvincular", "en": "Unlink"},
    "link_modal_title": {"es": "Mi extensión", "en": "My extension"},
    "link_modal_extension": {"es": "Extensión de Wolkvox", "en": "Wolkvox extension"},
    "link_modal_hint": {
        "es": "La que usas en Wolkvox Agent (p. ej. 12004). Se comprueba con Wolkvox.",
        "en": "The one you use in Wolkvox Agent (e.g. 12004). Wolkvox is asked to confirm it.",
    },
    "link_modal_save": {"es": "Vincular", "en": "Link"},
    "link_bad_extension": {
        "es": "Escribe solo los dígitos de tu extensión.",
        "en": "Type your extension's digits only.",
    },
    "link_unknown_extension": {
        "es": "Wolkvox no tiene esa extensión activa en esta operación.",
        "en": "Wolkvox has no such enabled extension in this operation.",
    },
    "link_busy": {
        "es": "Ya estás vinculando una extensión: espera un momento.",
        "en": "You are already linking an extension: wait a moment.",
    },
    "link_taken": {
        "es": "Esa extensión ya está asociada a otra persona en Slack.",
        "en": "That extension is already someone else's in Slack.",
    },
    "link_not_yours": {
        "es": "Esa extensión es de otro usuario de Wolkvox (su correo no es el tuyo).",
        "en": "That extension belongs to another Wolkvox user (their e-mail is not yours).",
    },
    "link_unavailable": {
        "es": "No pudimos comprobar la extensión con Wolkvox ahora; prueba en unos minutos.",
        "en": "We could not check the extension with Wolkvox now; try again in a few minutes.",
    },
    "link_off": {
        "es": "Vincular la propia extensión está desactivado: pídeselo a un administrador.",
        "en": "Linking your own extension is turned off: ask an administrator.",
    },
    "no_records_title": {"es": "Sin registros", "en": "No records"},
    "no_records_body": {
        "es": "Wolkvox no tiene registros de *{query}* en ninguna campaña.",
        "en": "Wolkvox has no records for *{query}* in any campaign.",
    },
    "no_records_body_campaign": {
        "es": "Wolkvox no tiene registros de *{query}* en la campaña {campaign}.",
        "en": "Wolkvox has no records for *{query}* in campaign {campaign}.",
    },
    "no_records_tip": {
        "es": "Revisa el número, o busca por identificación: "
        "`/wolkvox buscar id &lt;identificación&gt;`.",
        "en": "Check the number, or search by customer id: `/wolkvox find id &lt;customer id&gt;`.",
    },
    "fallback_result": {"es": "Wolkvox · {query}: {summary}", "en": "Wolkvox · {query}: {summary}"},
    "fallback_no_records": {
        "es": "Wolkvox · {query}: sin registros",
        "en": "Wolkvox · {query}: no records",
    },
    "multi_left_out_one": {
        "es": "{n} búsqueda más sin mostrar.",
        "en": "{n} more search not shown.",
    },
    "multi_left_out_other": {
        "es": "{n} búsquedas más sin mostrar.",
        "en": "{n} more searches not shown.",
    },
    # ---- searching / queue
    "searching": {"es": "🔎 Buscando {query}…", "en": "🔎 Searching {query}…"},
    "queue_position": {
        "es": "Eres el {ord} en la fila; la respuesta llega en cuanto Wolkvox quede libre.",
        "en": "You're {ord} in line; the answer follows as soon as Wolkvox is free.",
    },
    "wolkvox_slow": {
        "es": "🐢 Wolkvox está tardando en responder esta búsqueda. Seguimos esperando y la "
        "respuesta llega aquí; las búsquedas de tus compañeros siguen su curso.",
        "en": "🐢 Wolkvox is slow to answer this search. We keep waiting and the answer comes "
        "here; your teammates' searches carry on meanwhile.",
    },
    # ---- errors: one title/body per LookupFailure.kind
    "error_token_missing_title": {
        "es": "Falta el token de Wolkvox",
        "en": "The Wolkvox token is missing",
    },
    "error_token_missing_body": {
        "es": "El bot no tiene configurado un token de Wolkvox, así que no puede buscar. "
        "Pide a tu administrador que revise el token de Wolkvox.",
        "en": "The bot has no Wolkvox token set up, so it cannot search. "
        "Ask your admin to check the Wolkvox token.",
    },
    "error_token_rejected_title": {
        "es": "Wolkvox rechazó el token del bot",
        "en": "Wolkvox rejected the bot's token",
    },
    "error_token_rejected_body": {
        "es": "Wolkvox no aceptó el token del bot (puede que lo hayan revocado o cambiado). "
        "Pide a tu administrador que revise el token de Wolkvox.",
        "en": "Wolkvox did not accept the bot's token (it may have been revoked or changed). "
        "Ask your admin to check the Wolkvox token.",
    },
    "error_quota_exceeded_title": {
        "es": "Se agotó la cuota de hoy en Wolkvox",
        "en": "Today's Wolkvox quota is spent",
    },
    "error_quota_exceeded_body": {
        "es": "El bot ya usó todas las consultas de hoy en Wolkvox. "
        "Las búsquedas vuelven después de medianoche{when}.",
        "en": "The bot has used all of today's Wolkvox calls. "
        "Searches are back after midnight{when}.",
    },
    "error_quota_exceeded_when": {"es": " ({when})", "en": " ({when})"},
    "error_busy_title": {"es": "Wolkvox está ocupado", "en": "Wolkvox is busy"},
    "error_busy_body_when": {
        "es": "Hay demasiadas búsquedas esperando a Wolkvox: la tuya no alcanzaría a salir. "
        "Inténtalo de nuevo {when}.",
        "en": "Too many searches are waiting for Wolkvox: yours would not get through. "
        "Try again {when}.",
    },
    "error_busy_body": {
        "es": "Hay demasiadas búsquedas esperando a Wolkvox en este momento. "
        "Inténtalo de nuevo en un minuto.",
        "en": "Too many searches are waiting for Wolkvox right now. Try again in a minute.",
    },
    "error_timeout_title": {
        "es": "Wolkvox no respondió a tiempo",
        "en": "Wolkvox did not answer in time",
    },
    "error_timeout_body": {
        "es": "Wolkvox tardó demasiado en responder. Inténtalo de nuevo en un momento; "
        "si se repite, busca dentro de una campaña para acotar la búsqueda.",
        "en": "Wolkvox took too long to answer. Try again in a moment; "
        "if it keeps happening, search within one campaign to narrow it down.",
    },
    "error_broken_answer_title": {
        "es": "Wolkvox dio una respuesta dañada",
        "en": "Wolkvox gave a broken answer",
    },
    "error_broken_answer_body": {
        "es": "Wolkvox respondió algo que el bot no puede leer. Inténtalo de nuevo en un "
        "momento; si se repite, avisa a tu administrador.",
        "en": "Wolkvox answered with something the bot cannot read. Try again in a moment; "
        "if it keeps happening, tell your admin.",
    },
    "error_unavailable_title": {
        "es": "Wolkvox no está disponible",
        "en": "Wolkvox is unavailable",
    },
    "error_unavailable_body": {
        "es": "No se puede llegar a Wolkvox ahora mismo (mantenimiento o un problema de red). "
        "Inténtalo de nuevo en unos minutos.",
        "en": "Wolkvox cannot be reached right now (maintenance or a network problem). "
        "Try again in a few minutes.",
    },
    "error_circuit_open_title": {
        "es": "Wolkvox no está disponible",
        "en": "Wolkvox is unavailable",
    },
    "error_circuit_open_body": {
        "es": "Wolkvox ha fallado varias veces seguidas, así que el bot pausó las búsquedas "
        "para no dejarte esperando. Vuelve a intentarlo {when}.",
        "en": "Wolkvox failed several times in a row, so the bot paused searches rather than "
        "keep you waiting. Retrying {when}.",
    },
    "error_simultaneous_limit_title": {
        "es": "Wolkvox está atendiendo otra búsqueda",
        "en": "Wolkvox is handling another search",
    },
    "error_simultaneous_limit_body": {
        "es": "Wolkvox rechazó la búsqueda porque el token ya está en uso. "
        "Inténtalo de nuevo en unos segundos.",
        "en": "Wolkvox refused the search because the token is already in use. "
        "Try again in a few seconds.",
    },
    "error_upstream_error_title": {
        "es": "Wolkvox respondió con un error",
        "en": "Wolkvox answered with an error",
    },
    "error_upstream_error_body": {
        "es": "Wolkvox devolvió el código de error {code}. Inténtalo más tarde; si se repite, "
        "avisa a tu administrador y menciona el código.",
        "en": "Wolkvox returned error code {code}. Try again later; if it keeps happening, "
        "tell your admin and quote the code.",
    },
    "error_upstream_title": {
        "es": "Wolkvox respondió con un error",
        "en": "Wolkvox answered with an error",
    },
    "error_upstream_body": {
        "es": "La búsqueda en Wolkvox falló. Inténtalo más tarde; si se repite, "
        "avisa a tu administrador.",
        "en": "The Wolkvox search failed. Try again later; if it keeps happening, tell your admin.",
    },
    "error_store_unavailable_title": {
        "es": "El almacén compartido del bot no responde",
        "en": "The bot's shared store is down",
    },
    "error_store_unavailable_body": {
        "es": "El bot no puede llegar a su almacén compartido (Redis), así que no puede buscar "
        "sin arriesgar el límite de Wolkvox. Avisa a tu administrador.",
        "en": "The bot cannot reach its shared store (Redis), so it cannot search without "
        "risking Wolkvox's limits. Tell your admin.",
    },
    "error_shutting_down_title": {
        "es": "El bot se está reiniciando",
        "en": "The bot is restarting",
    },
    "error_shutting_down_body": {
        "es": "El bot se está reiniciando en este momento. Inténtalo de nuevo en un minuto.",
        "en": "The bot is restarting right now. Try again in a minute.",
    },
    "error_internal_title": {"es": "Algo salió mal", "en": "Something went wrong"},
    "error_internal_body": {
        "es": "Lo sentimos: algo falló de nuestro lado y la búsqueda no terminó. "
        "Inténtalo de nuevo; si se repite, avisa a tu administrador.",
        "en": "Sorry: something went wrong on our side and the search did not finish. "
        "Try again; if it keeps happening, tell your admin.",
    },
    "error_id": {
        "es": "Id del error (para tu administrador): `{id}`",
        "en": "Error id (for your admin): `{id}`",
    },
    "retry_in": {"es": "en {when}", "en": "in {when}"},
    "retry_soon": {"es": "en breve", "en": "shortly"},
    # ---- usage, help, refusals
    "usage_title": {"es": "No entendí esa búsqueda", "en": "I couldn't understand that search"},
    "usage_field_phone": {
        "es": "El teléfono no parece válido.",
        "en": "That phone number doesn't look right.",
    },
    "usage_field_customer_id": {
        "es": "La identificación del cliente no parece válida.",
        "en": "That customer id doesn't look right.",
    },
    "usage_field_campaign_id": {
        "es": "La campaña debe ser un número.",
        "en": "The campaign must be a number.",
    },
    "usage_field_command": {
        "es": "No conozco ese comando.",
        "en": "I don't know that command.",
    },
    "usage_field_query": {
        "es": "Falta algo por buscar.",
        "en": "Something to search for is missing.",
    },
    "usage_problem": {"es": "Problema: {detail}", "en": "Problem: {detail}"},
    # QueryError reasons (bot/query.py): what was wrong and what to write instead. Params are
    # the user's own text, escaped by the caller.
    "query_error_empty_phone": {
        "es": "Escribe un número de teléfono, p. ej. 300 123 4567.",
        "en": "Type a phone number, e.g. 300 123 4567.",
    },
    "query_error_not_a_phone": {
        "es": "«{text}» no es un teléfono. Escribe solo dígitos (valen espacios, +, guiones y "
        "paréntesis), p. ej. 300 123 4567.",
        "en": "“{text}” isn't a phone number. Use digits only (spaces, +, dashes and brackets "
        "are fine), e.g. 300 123 4567.",
    },
    "query_error_phone_too_short": {
        "es": "El teléfono es muy corto: escribe al menos {min} dígitos.",
        "en": "That phone number is too short: give at least {min} digits.",
    },
    "query_error_phone_too_long": {
        "es": "El teléfono es muy largo: escribe como máximo {max} dígitos.",
        "en": "That phone number is too long: give at most {max} digits.",
    },
    "query_error_invalid_phone": {
        "es": "«{text}» no es un teléfono válido. Revisa el código de país o escríbelo sin el +.",
        "en": "“{text}” isn't a valid phone number. Check the country code, or write it "
        "without the +.",
    },
    "query_error_empty_customer_id": {
        "es": "Escribe la identificación del cliente, p. ej. 1020304050.",
        "en": "Type the customer id, e.g. 1020304050.",
    },
    "query_error_bad_customer_id": {
        "es": "«{text}» no es una identificación válida. Usa letras, dígitos, punto, guion o "
        "guion bajo (hasta {max} caracteres).",
        "en": "“{text}” isn't a valid customer id. Use letters, digits, dots, dashes or "
        "underscores (up to {max} characters).",
    },
    "query_error_empty_campaign_id": {
        "es": "Escribe el número de la campaña, p. ej. 42.",
        "en": "Type the campaign number, e.g. 42.",
    },
    "query_error_bad_campaign_id": {
        "es": "«{text}» no es una campaña. Escribe su número, p. ej. 42.",
        "en": "“{text}” isn't a campaign. Give its number, e.g. 42.",
    },
    "query_error_nothing_to_search": {
        "es": "Escribe un teléfono o una identificación del cliente.",
        "en": "Give a phone number or a customer id.",
    },
    "query_error_too_long": {
        "es": "La búsqueda es muy larga: escribe como máximo {max} caracteres.",
        "en": "That search is too long: keep it to at most {max} characters.",
    },
    "query_error_missing_customer_id": {
        "es": "Escribe la identificación después de «{word}», p. ej. «{word} 1020304050».",
        "en": "Give the customer id after “{word}”, e.g. “{word} 1020304050”.",
    },
    "query_error_missing_campaign_id": {
        "es": "Escribe el número de la campaña después de «{word}», p. ej. «{word} 42».",
        "en": "Give the campaign number after “{word}”, e.g. “{word} 42”.",
    },
    "query_error_one_customer_id": {
        "es": "Escribe una sola identificación por búsqueda.",
        "en": "Give only one customer id per search.",
    },
    "query_error_one_operation": {
        "es": "Este bot busca en una sola operación de Wolkvox: quita «en {key}».",
        "en": "This bot searches one Wolkvox operation only: leave out “in {key}”.",
    },
    "query_error_unknown_operation": {
        "es": "No hay una operación «{key}». Las que hay: {known}.",
        "en": "There is no operation “{key}”. These are: {known}.",
    },
    "query_error_one_campaign": {
        "es": "Escribe una sola campaña por búsqueda.",
        "en": "Give only one campaign per search.",
    },
    "query_error_call_needs_phone": {
        "es": "Escribe el teléfono a marcar: «llamar 300 123 4567».",
        "en": "Give the phone to dial: “call 300 123 4567”.",
    },
    "query_error_unknown_command": {
        "es": "No conozco el comando «{word}». Usa buscar, llamar, estado o ayuda.",
        "en": "I don't know the command “{word}”. Use find, call, status or help.",
    },
    "usage_lines": {
        "es": "`/wolkvox buscar 3001234567` · `/wolkvox buscar id 1020304050` · "
        "`/wolkvox buscar 3001234567 campaña 42` · `/wolkvox ayuda`",
        "en": "`/wolkvox find 3001234567` · `/wolkvox find id 1020304050` · "
        "`/wolkvox find 3001234567 campaign 42` · `/wolkvox help`",
    },
    "help_title": {"es": "Búsqueda de clientes en Wolkvox", "en": "Wolkvox customer search"},
    "help_intro": {
        "es": "Busca a un cliente en las campañas de Wolkvox y mira qué pasó en su último "
        "contacto. Las respuestas son privadas; puedes compartirlas en el canal con el "
        "teléfono enmascarado.",
        "en": "Look a customer up in Wolkvox's campaigns and see what happened on their last "
        "contact. Answers are private; you can share them in the channel with the phone "
        "masked.",
    },
    "help_commands": {
        "es": "*Comandos*\n"
        "• `/wolkvox buscar &lt;teléfono&gt;`: por teléfono, p. ej. `/wolkvox buscar 3001234567`\n"
        "• `/wolkvox buscar id &lt;identificación&gt;`: por identificación del cliente\n"
        "• `/wolkvox buscar &lt;teléfono|id …&gt; campaña &lt;id&gt;`: solo en una campaña\n"
        "• `/wolkvox llamar &lt;teléfono&gt;`: tu Wolkvox Agent lo marca (tras confirmar)\n"
        "• `/wolkvox estado`: cola, caché y consumo de Wolkvox hoy\n"
        "• `/wolkvox ayuda`: este mensaje\n"
        "También en inglés: `find`, `id`, `campaign`, `call`, `status`, `help`.",
        "en": "*Commands*\n"
        "• `/wolkvox find &lt;phone&gt;`: by phone, e.g. `/wolkvox find 300 123 4567`\n"
        "• `/wolkvox find id &lt;customer id&gt;`: by customer id\n"
        "• `/wolkvox find &lt;phone|id …&gt; campaign &lt;id&gt;`: within one campaign only\n"
        "• `/wolkvox call &lt;phone&gt;`: your Wolkvox Agent dials it (after you confirm)\n"
        "• `/wolkvox status`: queue, cache and today's Wolkvox usage\n"
        "• `/wolkvox help`: this message\n"
        "Spanish works too: `buscar`, `campaña`, `llamar`, `estado`, `ayuda`.",
    },
    "help_other": {
        "es": "*Otras formas*\n"
        "• Menciona al bot: `@Wolkvox buscar 3001234567` (responde en el hilo)\n"
        "• En un mensaje: menú ⋮ → *Buscar en Wolkvox* (busca los teléfonos e ids del texto)\n"
        "• Atajo global *Búsqueda en Wolkvox*: un formulario con teléfono, id y campaña",
        "en": "*Other ways*\n"
        "• Mention the bot: `@Wolkvox find 3001234567` (answers in the thread)\n"
        "• On a message: ⋮ menu → *Find in Wolkvox* (looks up the phones and ids in it)\n"
        "• Global shortcut *Wolkvox search*: a form with phone, id and campaign",
    },
    "fallback_help": {"es": "Ayuda de Wolkvox", "en": "Wolkvox help"},
    # ---- the Workflow Builder step find_customer
    "workflow_summary_found": {
        "es": "{name}{id} está {campaigns}. Último contacto: {date}, {campaign}: {result}.",
        "en": "{name}{id} is {campaigns}. Last contact: {date}, {campaign}: {result}.",
    },
    "workflow_summary_id": {"es": " (id {id})", "en": " (id {id})"},
    "workflow_summary_none": {
        "es": "Wolkvox no tiene registros de {query}.",
        "en": "Wolkvox has no records for {query}.",
    },
    "workflow_unknown_name": {"es": "Cliente sin nombre", "en": "Unnamed customer"},
    "workflow_unexpected": {
        "es": "Error inesperado del bot (id {id}); un administrador lo encuentra en los registros.",
        "en": "Unexpected error in the bot (id {id}); an admin finds it in the logs.",
    },
    # ---- the App Home tab
    "home_title": {"es": "Wolkvox para Slack", "en": "Wolkvox for Slack"},
    "home_search_button": {"es": "Buscar en Wolkvox", "en": "Search Wolkvox"},
    "home_ways": {
        "es": "*Cómo buscar a un cliente*\n"
        "• Comando: `/wolkvox buscar 3001234567` o `/wolkvox buscar id 1020304050`\n"
        "• Mención: `@Wolkvox buscar 3001234567` (responde en el hilo)\n"
        "• Atajo en un mensaje: menú ⋮ → *Find in Wolkvox*\n"
        "• Mensaje directo: escríbeme el teléfono o `id 1020304050` en la pestaña Mensajes\n"
        "• Paso de flujo de trabajo: *Find customer in Wolkvox* en Workflow Builder",
        "en": "*How to look a customer up*\n"
        "• Command: `/wolkvox find 3001234567` or `/wolkvox find id 1020304050`\n"
        "• Mention: `@Wolkvox find 3001234567` (answers in the thread)\n"
        "• Shortcut on a message: ⋮ menu → *Find in Wolkvox*\n"
        "• Direct message: write me the phone or `id 1020304050` in the Messages tab\n"
        "• Workflow step: *Find customer in Wolkvox* in Workflow Builder",
    },
    "home_not_allowed": {
        "es": "Aún no tienes acceso a las búsquedas; pídelo a tu administrador.",
        "en": "You don't have access to searches yet; ask your administrator.",
    },
    "home_recent_title": {"es": "Tus búsquedas recientes", "en": "Your recent searches"},
    "home_recent_none": {
        "es": "Aún no has buscado nada en las últimas 24 horas.",
        "en": "You haven't searched anything in the last 24 hours.",
    },
    "home_recent_note": {
        "es": "Solo tú ves esta lista: consulta enmascarada, sin datos del cliente; se borra "
        "a las 24 horas.",
        "en": "Only you see this list: masked queries, no customer data; gone after 24 hours.",
    },
    "home_recent_line": {
        "es": "*{query}* · {when} · {outcome}",
        "en": "*{query}* · {when} · {outcome}",
    },
    "home_outcome_found": {"es": "encontrado", "en": "found"},
    "home_outcome_none": {"es": "sin registros", "en": "no records"},
    "home_outcome_error": {"es": "falló", "en": "failed"},
    "home_search_again": {"es": "Buscar de nuevo", "en": "Search again"},
    "home_status_title": {"es": "Estado del servicio", "en": "Service status"},
    "refusal": {
        "es": "Lo siento, no tienes permiso para buscar clientes en Wolkvox aquí. "
        "Si lo necesitas, pide acceso a tu administrador.",
        "en": "Sorry, you're not allowed to look customers up in Wolkvox here. "
        "If you need to, ask your admin for access.",
    },
    "rate_limited": {
        "es": "Has hecho muchas búsquedas en el último minuto. Inténtalo de nuevo {when}.",
        "en": "You've made a lot of searches in the last minute. Try again {when}.",
    },
    "nothing_in_message": {
        "es": "No encontré ningún teléfono ni identificación en ese mensaje. "
        "Las identificaciones necesitan una etiqueta, como `id 1020304050` o `cc 1020304050`.",
        "en": "I found no phone number or customer id in that message. "
        "Customer ids need a label, like `id 1020304050` or `cc 1020304050`.",
    },
    "restarted": {
        "es": "El bot se reinició antes de terminar tu búsqueda, así que no llegará respuesta. "
        "Vuelve a buscar en un momento.",
        "en": "The bot restarted before your search finished, so no answer is coming. "
        "Please search again in a moment.",
    },
    "checking_access": {
        "es": "Comprobando tu acceso con Slack… la respuesta llega en un momento.",
        "en": "Checking your access with Slack… the answer follows in a moment.",
    },
    "stale_button": {
        "es": "Este botón ya no sirve (caducó o el bot se reinició). Vuelve a buscar con "
        "`/wolkvox buscar …`.",
        "en": "This button no longer works (it expired or the bot restarted). Search again "
        "with `/wolkvox find …`.",
    },
    "export_refused": {
        "es": "La exportación completa solo sale de una tarjeta privada tuya: busca con "
        "`/wolkvox buscar …` y usa *Exportar CSV* allí.",
        "en": "A full export comes only from a private card of your own: search with "
        "`/wolkvox find …` and use *Export CSV* there.",
    },
    "workflow_requested_by_missing": {
        "es": "Este paso necesita saber quién pide la búsqueda: llena «requested_by» con "
        "«Persona que envió el formulario» (Person who submitted the form).",
        "en": "This step needs to know who is asking: fill “requested_by” with "
        "“Person who submitted the form”.",
    },
    # ---- status
    "status_title": {"es": "Estado del bot de Wolkvox", "en": "Wolkvox bot status"},
    "status_queue": {"es": "Búsquedas en espera", "en": "Searches waiting"},
    "status_cache": {"es": "Aciertos de caché", "en": "Cache hit rate"},
    "status_backend": {"es": "Almacén", "en": "Store"},
    "status_backend_ok": {"es": "{backend}: funcionando", "en": "{backend}: working"},
    "status_backend_down": {"es": "{backend}: sin conexión", "en": "{backend}: down"},
    "status_last_error": {"es": "Último error de Wolkvox", "en": "Last Wolkvox error"},
    "status_none": {"es": "ninguno", "en": "none"},
    "status_tokens": {"es": "Tokens (consumo de hoy)", "en": "Tokens (today's use)"},
    "status_token_quota": {
        "es": "{token}: {used} de {quota} consultas",
        "en": "{token}: {used} of {quota} calls",
    },
    "status_token_no_quota": {
        "es": "{token}: {used} consultas (sin cuota configurada)",
        "en": "{token}: {used} calls (no quota set)",
    },
    "status_token_spent": {"es": " · agotado", "en": " · spent"},
    "status_no_tokens": {"es": "ningún token configurado", "en": "no token set up"},
    "status_more_tokens": {"es": "… y {n} más", "en": "… and {n} more"},
    # ---- modals
    "modal_search_title": {"es": "Buscar en Wolkvox", "en": "Wolkvox search"},
    "modal_search_submit": {"es": "Buscar", "en": "Search"},
    "modal_cancel": {"es": "Cancelar", "en": "Cancel"},
    "modal_close": {"es": "Cerrar", "en": "Close"},
    "modal_result_title": {"es": "Resultado Wolkvox", "en": "Wolkvox result"},
    "modal_loading": {"es": "🔎 Buscando en Wolkvox…", "en": "🔎 Searching Wolkvox…"},
    "modal_phone": {"es": "Teléfono", "en": "Phone"},
    "modal_customer_id": {"es": "Identificación del cliente", "en": "Customer id"},
    "modal_campaign_id": {"es": "Campaña (id)", "en": "Campaign (id)"},
    "modal_phone_placeholder": {"es": "p. ej. 300 123 4567", "en": "e.g. 300 123 4567"},
    "modal_customer_id_placeholder": {"es": "p. ej. 1020304050", "en": "e.g. 1020304050"},
    "modal_campaign": {"es": "Campaña", "en": "Campaign"},
    "modal_campaign_all": {"es": "Todas las campañas", "en": "All campaigns"},
    "modal_operation": {"es": "Operación", "en": "Operation"},
    "modal_operation_all": {"es": "Todas las operaciones", "en": "Every operation"},
    "modal_campaign_search": {
        "es": "Escribe un nombre o un id",
        "en": "Type a name or an id",
    },
    "modal_campaign_unavailable": {
        "es": "No pude traer la lista de campañas: escribe el id (un número), o déjalo vacío "
        "para buscar en todas.",
        "en": "The campaign list is unavailable: type the campaign id (a number), or leave it "
        "empty to search them all.",
    },
    "modal_campaign_id_placeholder": {
        "es": "vacío: todas las campañas",
        "en": "empty: every campaign",
    },
    "modal_hint": {
        "es": "Escribe un teléfono o una identificación (o ambos).",
        "en": "Give a phone number or a customer id (or both).",
    },
}


def _lang(lang: str) -> Lang:
    return "en" if lang == "en" else "es"


def t(lang: str, key: str, **kwargs: object) -> str:
    """The message `key` in `lang` (Spanish for anything but "en"), with `kwargs` filled in.

    An unknown key is a bug and raises KeyError, so a typo never reaches a user as a blank.
    """
    template = MESSAGES[key][_lang(lang)]
    return template.format(**kwargs) if kwargs else template


def query_error_message(lang: str, reason: str, params: Mapping[str, object]) -> str | None:
    """The message for a `QueryError.reason` in `lang`, or None when there is none.

    `params` must already be escaped for where the text goes; whole numbers are formatted for
    `lang` here. None also when `params` lack a value the message needs (an error rebuilt
    without its params), so the caller falls back to its generic wording instead of failing.
    """
    forms = MESSAGES.get(f"query_error_{reason}") if reason else None
    if forms is None:
        return None
    values = {
        k: fmt_int(v, lang) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in params.items()
    }
    try:
        return forms[_lang(lang)].format(**values)
    except (KeyError, IndexError, ValueError):
        return None


def tn(lang: str, key: str, n: int, **kwargs: object) -> str:
    """Plural-aware `t`: picks `key_one` or `key_other` by `n`, fills `{n}` formatted for `lang`."""
    form = "_one" if n == 1 else "_other"
    return t(lang, key + form, n=fmt_int(n, lang), **kwargs)


def lang_for_locale(locale: str | None, default: Lang) -> Lang:
    """Slack's user locale ("es-ES", "es-LA", "en-US", "en_GB") → "es"/"en"; else `default`."""
    if locale:
        head = locale.replace("_", "-").split("-", 1)[0].strip().lower()
        if head == "es":
            return "es"
        if head == "en":
            return "en"
    return default


def normalise_result(raw: str) -> str:
    """`ANSWER`, ` no_answer `, `No Answer` → the documented code (`answer`, `no-answer`)."""
    return "-".join(raw.strip().lower().replace("_", " ").replace("-", " ").split())


def result_label(raw: str, lang: str) -> str:
    """A documented Wolkvox result code as a human label; anything else exactly as written."""
    labels = RESULT_LABELS.get(normalise_result(raw))
    if labels is None:
        return raw
    return labels[_lang(lang)]


def fmt_int(n: int, lang: str) -> str:
    """Thousands grouped the way each language writes them: 60,000 (en) / 60.000 (es)."""
    text = f"{n:,}"
    return text.replace(",", ".") if _lang(lang) == "es" else text


def fmt_seconds(seconds: float, lang: str) -> str:
    """A short duration: `0.4 s` / `0,4 s` under 10 s, whole seconds, then minutes and hours."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        text = f"{seconds:.1f} s"
        return text.replace(".", ",") if _lang(lang) == "es" else text
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def fmt_when(retry_after: float | None, lang: str) -> str:
    """ "in 30 s" / "en 30 s"; "shortly" when the wait is unknown."""
    if retry_after is None or retry_after != retry_after or retry_after <= 0:
        return t(lang, "retry_soon")
    return t(lang, "retry_in", when=fmt_seconds(max(1.0, float(retry_after)), lang))


def fmt_ago(seconds: float, lang: str) -> str:
    """How old cached data is: "just now", "35 s ago", "2 min ago", "3 h ago"."""
    seconds = max(0.0, seconds)
    if seconds < 5:
        return t(lang, "ago_now")
    if seconds < 60:
        return t(lang, "ago_s", n=int(seconds))
    if seconds < 3600:
        return t(lang, "ago_min", n=int(seconds // 60))
    if seconds < 2 * 86400:
        return t(lang, "ago_h", n=int(seconds // 3600))
    return t(lang, "ago_d", n=int(seconds // 86400))


def fmt_date(value: datetime, lang: str) -> str:
    """A plain date for fallbacks and terminals: `20 Nov 2026 14:03` / `20 nov 2026 14:03`."""
    month = _MONTHS[_lang(lang)][value.month - 1]
    return f"{value.day} {month} {value.year:04d} {value.hour:02d}:{value.minute:02d}"


def ordinal(n: int, lang: str) -> str:
    """1st, 2nd, 3rd, 11th (en); 1.º, 2.º (es)."""
    if _lang(lang) == "es":
        return f"{n}.º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
