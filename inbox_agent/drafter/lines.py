"""The offline drafter's words, by hand, per language: the line for each touch and what it may
name (a topic, an ask, neither), the sentence that makes a nudge easy to answer, and the word
"below" that may be said only when the user's message is quoted under the nudge. A language
that tells a formal "you" from an informal one has its lines in both where they address the
reader (`INFORMAL`).

Data only. A line takes only the topic ({t}, the subject) and the ask ({a}, the user's own
sentence) from the thread, so no line states a fact the thread does not hold.
"""

from __future__ import annotations

import re

__all__ = ["ABOUT", "BELOW", "EASY", "INFORMAL", "LINES", "PROMISED"]

# the first nudge when what is owed is their promise ({p}: their sentence, as they wrote it),
# per language: (formal or the only form, informal)
PROMISED: dict[str, tuple[str, str]] = {
    "en": ('You wrote: "{p}" Any news?', 'You wrote: "{p}" Any news?'),
    "de": (
        "Sie hatten geschrieben: „{p}“ Gibt es schon Neuigkeiten?",
        "Du hattest geschrieben: „{p}“ Gibt es schon Neuigkeiten?",
    ),
    "fr": (
        "Vous m'aviez écrit : « {p} » Avez-vous du nouveau ?",
        "Tu m'avais écrit : « {p} » Tu as du nouveau ?",
    ),
    "es": ("Usted me escribió: «{p}» ¿Alguna novedad?", "Me escribiste: «{p}» ¿Alguna novedad?"),
    "it": ("Mi aveva scritto: «{p}» Ci sono novità?", "Mi avevi scritto: «{p}» Ci sono novità?"),
    "nl": ('U schreef: "{p}" Is er al nieuws?', 'Je schreef: "{p}" Is er al nieuws?'),
    "pt": (
        'O senhor escreveu: "{p}" Alguma novidade?',
        'Escreveste: "{p}" Alguma novidade?',
    ),
    "sv": ('Du skrev: "{p}" Något nytt?', 'Du skrev: "{p}" Något nytt?'),
    "da": ('Du skrev: "{p}" Noget nyt?', 'Du skrev: "{p}" Noget nyt?'),
}

# the first nudge, asking after what the user's own ask waits for ({o}: "whether legal is fine
# with clause 7" in English, the clause after "ob", "si", "se", "of", "om" in the others,
# `grounding.ask_about`), per language: (formal or the only form, informal)
ABOUT: dict[str, tuple[str, str]] = {
    "en": ("Any news on {o}?", "Any news on {o}?"),
    "de": ("Wissen Sie schon, ob {o}?", "Weißt du schon, ob {o}?"),
    "fr": ("Savez-vous déjà si {o} ?", "Sais-tu déjà si {o} ?"),
    "es": ("¿Sabe ya si {o}?", "¿Sabes ya si {o}?"),
    "it": ("Sa già se {o}?", "Sai già se {o}?"),
    "nl": ("Weet u al of {o}?", "Weet je al of {o}?"),
    "pt": ("Já sabe se {o}?", "Já sabes se {o}?"),
    "sv": ("Vet du redan om {o}?", "Vet du redan om {o}?"),
    "da": ("Ved du allerede, om {o}?", "Ved du allerede, om {o}?"),
}

# per language and kind: ("with a topic" variants short to long, "with only an ask",
# "with neither, quoted", "with neither, not quoted"); {t} the topic, {a} the ask
LINES: dict[str, dict[str, tuple[tuple[str, ...], str, str, str]]] = {
    "en": {
        "bump": (
            (
                'Any news on "{t}"?',
                'Just checking in on "{t}": any news?',
                'Just checking in on "{t}". Did you get a chance to look at it?',
            ),
            "Just checking in: {a}",
            "Any news on my message below?",
            "Any news on this?",
        ),
        "context": (
            ('Coming back to "{t}": a one-line answer is plenty.',),
            "To pick this up again: {a} A one-line answer is plenty.",
            "A one-line answer to my message below is plenty.",
            "A one-line answer to my last message is plenty.",
        ),
        "close": (
            (
                'I\'ll take "{t}" off my list for now. Just reply here if it comes back up.',
                "I haven't heard back about \"{t}\", so I'll assume it isn't a priority right "
                "now and won't follow up again. If it becomes one, just reply here.",
            ),
            "One last note on my question: {a} I'll assume it isn't a priority right now and "
            "won't follow up again. If it becomes one, just reply here.",
            "I'll take this off my list for now. Just reply here if it comes back up.",
            "I'll take this off my list for now. Just reply here if it comes back up.",
        ),
    },
    "de": {
        "bump": (
            (
                "Gibt es schon Neuigkeiten zu „{t}“?",
                "Ich wollte kurz wegen „{t}“ nachfragen. Gibt es schon Neuigkeiten?",
            ),
            "Ich wollte kurz nachfragen: {a}",
            "Gibt es schon Neuigkeiten zu meiner Nachricht unten?",
            "Gibt es dazu schon Neuigkeiten?",
        ),
        "context": (
            ("Ich komme noch einmal auf „{t}“ zurück. Eine kurze Antwort genügt.",),
            "Ich komme noch einmal darauf zurück: {a} Eine kurze Antwort genügt.",
            "Ich komme noch einmal auf meine Nachricht unten zurück. Eine kurze Antwort genügt.",
            "Ich komme noch einmal auf meine letzte Nachricht zurück. Eine kurze Antwort genügt.",
        ),
        "close": (
            (
                "Da ich zu „{t}“ nichts gehört habe, gehe ich davon aus, dass es gerade keine "
                "Priorität hat, und melde mich dazu nicht mehr. Falls doch, einfach hier antworten.",
            ),
            "Ein letztes Mal zu meiner Frage: {a} Ich gehe davon aus, dass sie gerade keine "
            "Priorität hat, und melde mich dazu nicht mehr. Falls doch, einfach hier antworten.",
            "Da ich nichts gehört habe, gehe ich davon aus, dass das Thema gerade keine "
            "Priorität hat, und melde mich dazu nicht mehr. Falls doch, einfach hier antworten.",
            "Da ich nichts gehört habe, gehe ich davon aus, dass das Thema gerade keine "
            "Priorität hat, und melde mich dazu nicht mehr. Falls doch, einfach hier antworten.",
        ),
    },
    "fr": {
        "bump": (
            (
                "Avez-vous du nouveau concernant « {t} » ?",
                "Je me permets de revenir vers vous au sujet de « {t} ». Avez-vous eu "
                "l'occasion d'y jeter un œil ?",
            ),
            "Je me permets de revenir vers vous : {a}",
            "Je me permets de remonter mon message ci-dessous. Avez-vous eu l'occasion d'y "
            "jeter un œil ?",
            "Je me permets de revenir vers vous. Avez-vous eu l'occasion d'y jeter un œil ?",
        ),
        "context": (
            ("Je reviens vers vous au sujet de « {t} ». Une réponse courte suffit.",),
            "Je reviens vers vous : {a} Une réponse courte suffit.",
            "Je reviens vers vous au sujet de mon message ci-dessous. Une réponse courte suffit.",
            "Je reviens vers vous au sujet de mon dernier message. Une réponse courte suffit.",
        ),
        "close": (
            (
                "Sans nouvelles de votre part au sujet de « {t} », je suppose que ce n'est pas "
                "une priorité pour le moment et je ne relancerai plus. Si cela change, il suffit "
                "de répondre ici.",
            ),
            "Une dernière fois au sujet de ma question : {a} Je suppose que ce n'est pas une "
            "priorité pour le moment et je ne relancerai plus. Si cela change, il suffit de "
            "répondre ici.",
            "Sans nouvelles de votre part, je suppose que ce n'est pas une priorité pour le "
            "moment et je ne relancerai plus. Si cela change, il suffit de répondre ici.",
            "Sans nouvelles de votre part, je suppose que ce n'est pas une priorité pour le "
            "moment et je ne relancerai plus. Si cela change, il suffit de répondre ici.",
        ),
    },
    "es": {
        "bump": (
            (
                "¿Alguna novedad sobre «{t}»?",
                "Retomo el tema de «{t}» por si se había quedado perdido. ¿Alguna novedad?",
            ),
            "Retomo mi pregunta: {a}",
            "Retomo mi mensaje de abajo por si se había quedado perdido. ¿Alguna novedad?",
            "Retomo mi último mensaje por si se había quedado perdido. ¿Alguna novedad?",
        ),
        "context": (
            ("Vuelvo sobre «{t}». Con una respuesta breve basta.",),
            "Vuelvo sobre esto: {a} Con una respuesta breve basta.",
            "Vuelvo sobre mi mensaje de abajo. Con una respuesta breve basta.",
            "Vuelvo sobre mi último mensaje. Con una respuesta breve basta.",
        ),
        "close": (
            (
                "Como no he tenido respuesta sobre «{t}», entiendo que ahora no es una prioridad "
                "y no volveré a escribir sobre esto. Si cambia, basta con responder a este mensaje.",
            ),
            "Una última vez sobre mi pregunta: {a} Entiendo que ahora no es una prioridad y no "
            "volveré a escribir sobre esto. Si cambia, basta con responder a este mensaje.",
            "Como no he tenido respuesta, entiendo que ahora no es una prioridad y no volveré "
            "a escribir sobre esto. Si cambia, basta con responder a este mensaje.",
            "Como no he tenido respuesta, entiendo que ahora no es una prioridad y no volveré "
            "a escribir sobre esto. Si cambia, basta con responder a este mensaje.",
        ),
    },
    "it": {
        "bump": (
            (
                "Ci sono novità su «{t}»?",
                "Riprendo il discorso su «{t}» nel caso fosse sfuggito. Ci sono novità?",
            ),
            "Riprendo la mia domanda: {a}",
            "Riprendo il mio messaggio qui sotto nel caso fosse sfuggito. Ci sono novità?",
            "Riprendo il mio ultimo messaggio nel caso fosse sfuggito. Ci sono novità?",
        ),
        "context": (
            ("Torno su «{t}». Basta una risposta breve.",),
            "Torno su questo punto: {a} Basta una risposta breve.",
            "Torno sul mio messaggio qui sotto. Basta una risposta breve.",
            "Torno sul mio ultimo messaggio. Basta una risposta breve.",
        ),
        "close": (
            (
                "Non avendo ricevuto risposta su «{t}», immagino che al momento non sia una "
                "priorità e non scriverò più a riguardo. Se le cose cambiano, basta rispondere "
                "a questo messaggio.",
            ),
            "Un'ultima volta sulla mia domanda: {a} Immagino che al momento non sia una "
            "priorità e non scriverò più a riguardo. Se le cose cambiano, basta rispondere a "
            "questo messaggio.",
            "Non avendo ricevuto risposta, immagino che al momento non sia una priorità e non "
            "scriverò più a riguardo. Se le cose cambiano, basta rispondere a questo messaggio.",
            "Non avendo ricevuto risposta, immagino che al momento non sia una priorità e non "
            "scriverò più a riguardo. Se le cose cambiano, basta rispondere a questo messaggio.",
        ),
    },
    "nl": {
        "bump": (
            (
                "Is er al nieuws over '{t}'?",
                "Ik wilde nog even terugkomen op '{t}'. Is er al nieuws?",
            ),
            "Ik wilde nog even terugkomen op mijn vraag: {a}",
            "Ik wilde mijn bericht hieronder nog even onder de aandacht brengen. Is er al nieuws?",
            "Ik wilde mijn vorige bericht nog even onder de aandacht brengen. Is er al nieuws?",
        ),
        "context": (
            ("Ik kom nog even terug op '{t}'. Een kort antwoord is genoeg.",),
            "Ik kom hier nog even op terug: {a} Een kort antwoord is genoeg.",
            "Ik kom nog even terug op mijn bericht hieronder. Een kort antwoord is genoeg.",
            "Ik kom nog even terug op mijn vorige bericht. Een kort antwoord is genoeg.",
        ),
        "close": (
            (
                "Omdat ik over '{t}' niets meer heb gehoord, ga ik ervan uit dat dit nu geen "
                "prioriteit heeft en stuur ik hier geen herinnering meer over. Reageer gerust als "
                "dat verandert.",
            ),
            "Nog één laatste keer over mijn vraag: {a} Ik ga ervan uit dat dit nu geen "
            "prioriteit heeft en stuur hier geen herinnering meer over. Reageer gerust als dat "
            "verandert.",
            "Omdat ik niets meer heb gehoord, ga ik ervan uit dat dit nu geen prioriteit heeft "
            "en stuur ik hier geen herinnering meer over. Reageer gerust als dat verandert.",
            "Omdat ik niets meer heb gehoord, ga ik ervan uit dat dit nu geen prioriteit heeft "
            "en stuur ik hier geen herinnering meer over. Reageer gerust als dat verandert.",
        ),
    },
    "pt": {
        "bump": (
            (
                'Alguma novidade sobre "{t}"?',
                'Retomo o assunto "{t}", caso tenha passado despercebido. Alguma novidade?',
            ),
            "Retomo a minha pergunta: {a}",
            "Retomo a minha mensagem abaixo, caso tenha passado despercebida. Alguma novidade?",
            "Retomo a minha última mensagem, caso tenha passado despercebida. Alguma novidade?",
        ),
        "context": (
            ('Volto ao assunto "{t}". Uma resposta curta já ajuda.',),
            "Volto a este ponto: {a} Uma resposta curta já ajuda.",
            "Volto à minha mensagem abaixo. Uma resposta curta já ajuda.",
            "Volto à minha última mensagem. Uma resposta curta já ajuda.",
        ),
        "close": (
            (
                'Como não tive resposta sobre "{t}", imagino que isto não seja uma prioridade '
                "agora e não voltarei a escrever sobre o assunto. Se mudar, basta responder a "
                "esta mensagem.",
            ),
            "Uma última vez sobre a minha pergunta: {a} Imagino que isto não seja uma "
            "prioridade agora e não voltarei a escrever sobre o assunto. Se mudar, basta "
            "responder a esta mensagem.",
            "Como não tive resposta, imagino que isto não seja uma prioridade agora e não "
            "voltarei a escrever sobre o assunto. Se mudar, basta responder a esta mensagem.",
            "Como não tive resposta, imagino que isto não seja uma prioridade agora e não "
            "voltarei a escrever sobre o assunto. Se mudar, basta responder a esta mensagem.",
        ),
    },
    "sv": {
        "bump": (
            (
                'Finns det något nytt om "{t}"?',
                'Jag ville bara återkomma om "{t}". Finns det något nytt?',
            ),
            "Jag ville bara återkomma till min fråga: {a}",
            "Jag ville bara lyfta mitt meddelande nedan igen. Finns det något nytt?",
            "Jag ville bara lyfta mitt förra meddelande igen. Finns det något nytt?",
        ),
        "context": (
            ('Jag återkommer om "{t}". Ett kort svar räcker.',),
            "Jag återkommer om detta: {a} Ett kort svar räcker.",
            "Jag återkommer om mitt meddelande nedan. Ett kort svar räcker.",
            "Jag återkommer om mitt förra meddelande. Ett kort svar räcker.",
        ),
        "close": (
            (
                'Eftersom jag inte har hört något om "{t}" utgår jag från att det inte är '
                "prioriterat just nu och skriver inte mer om det. Om det ändras är det bara att "
                "svara här.",
            ),
            "En sista gång om min fråga: {a} Jag utgår från att det inte är prioriterat just "
            "nu och skriver inte mer om det. Om det ändras är det bara att svara här.",
            "Eftersom jag inte har hört något utgår jag från att det inte är prioriterat just "
            "nu och skriver inte mer om det. Om det ändras är det bara att svara här.",
            "Eftersom jag inte har hört något utgår jag från att det inte är prioriterat just "
            "nu och skriver inte mer om det. Om det ändras är det bara att svara här.",
        ),
    },
    "da": {
        "bump": (
            (
                'Er der noget nyt om "{t}"?',
                'Jeg ville bare lige følge op på "{t}". Er der noget nyt?',
            ),
            "Jeg ville bare lige følge op på mit spørgsmål: {a}",
            "Jeg ville bare lige minde om min besked nedenfor. Er der noget nyt?",
            "Jeg ville bare lige minde om min seneste besked. Er der noget nyt?",
        ),
        "context": (
            ('Jeg vender tilbage til "{t}". Et kort svar er nok.',),
            "Jeg vender tilbage til dette: {a} Et kort svar er nok.",
            "Jeg vender tilbage til min besked nedenfor. Et kort svar er nok.",
            "Jeg vender tilbage til min seneste besked. Et kort svar er nok.",
        ),
        "close": (
            (
                'Da jeg ikke har hørt noget om "{t}", går jeg ud fra, at det ikke har prioritet '
                "lige nu, og jeg skriver ikke mere om det. Hvis det ændrer sig, så svar bare her.",
            ),
            "En sidste gang om mit spørgsmål: {a} Jeg går ud fra, at det ikke har prioritet "
            "lige nu, og jeg skriver ikke mere om det. Hvis det ændrer sig, så svar bare her.",
            "Da jeg ikke har hørt noget, går jeg ud fra, at det ikke har prioritet lige nu, og "
            "jeg skriver ikke mere om det. Hvis det ændrer sig, så svar bare her.",
            "Da jeg ikke har hørt noget, går jeg ud fra, at det ikke har prioritet lige nu, og "
            "jeg skriver ikke mere om det. Hvis det ændrer sig, så svar bare her.",
        ),
    },
}
# the lines that address the reader, for users who write to them informally (tu): LINES
# address them formally (vous) or not at all (the German, Spanish, Italian, Dutch and
# Portuguese lines name no "you"), so a formal writer is never tutoyé
INFORMAL: dict[str, dict[str, tuple[tuple[str, ...], str, str, str]]] = {
    "fr": {
        "bump": (
            (
                "Tu as du nouveau sur « {t} » ?",
                "Je reviens vers toi au sujet de « {t} ». Tu as eu le temps d'y jeter un œil ?",
            ),
            "Je reviens vers toi : {a}",
            "Je remonte mon message ci-dessous. Tu as eu le temps d'y jeter un œil ?",
            "Je reviens vers toi. Tu as eu le temps d'y jeter un œil ?",
        ),
        "context": (
            ("Je reviens vers toi au sujet de « {t} ». Une réponse courte suffit.",),
            "Je reviens vers toi : {a} Une réponse courte suffit.",
            "Je reviens vers toi au sujet de mon message ci-dessous. Une réponse courte suffit.",
            "Je reviens vers toi au sujet de mon dernier message. Une réponse courte suffit.",
        ),
        "close": (
            (
                "Sans nouvelles de ta part au sujet de « {t} », je suppose que ce n'est pas une "
                "priorité pour le moment et je ne relancerai plus. Si cela change, il suffit de "
                "répondre ici.",
            ),
            "Une dernière fois au sujet de ma question : {a} Je suppose que ce n'est pas une "
            "priorité pour le moment et je ne relancerai plus. Si cela change, il suffit de "
            "répondre ici.",
            "Sans nouvelles de ta part, je suppose que ce n'est pas une priorité pour le moment "
            "et je ne relancerai plus. Si cela change, il suffit de répondre ici.",
            "Sans nouvelles de ta part, je suppose que ce n'est pas une priorité pour le moment "
            "et je ne relancerai plus. Si cela change, il suffit de répondre ici.",
        ),
    },
}
# a sentence that makes a first nudge easy to answer, for users whose follow-ups run longer
EASY = {
    "en": "A one-line answer is plenty.",
    "de": "Eine kurze Antwort genügt.",
    "fr": "Une réponse courte suffit.",
    "es": "Con una respuesta breve basta.",
    "it": "Basta una risposta breve.",
    "nl": "Een kort antwoord is genoeg.",
    "pt": "Uma resposta curta já ajuda.",
    "sv": "Ett kort svar räcker.",
    "da": "Et kort svar er nok.",
}
# "below" in each language: said only when the quote is there
BELOW = re.compile(
    r"\b(below|unten|ci-dessous|abajo|qui sotto|hieronder|abaixo|nedan|nedenfor)\b", re.I
)
