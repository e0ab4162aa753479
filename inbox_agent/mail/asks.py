"""What one sentence of the user's own words does: ask the recipient for something that comes
back to the user (a question, a request, an ask by implication), or not (a chore, a request
whose result goes to someone else, an offer, thanks, an FYI, an answer, a closing …).

Pure: small ordered tables of patterns, English first, then the languages `classify` reads (de,
fr, es, it, nl, pt). `mail.expects` weighs the sentences of a message with them.
"""

from __future__ import annotations

import re

__all__ = ["has_question", "implicit", "is_ask", "is_request", "no_marker", "soft"]

_I = re.IGNORECASE


def _at_word_starts(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern`, tried only where a word starts. Python's re tries every alternative of a long
    table at every position; where each alternative begins with a word (a `\\b` or `^` before a
    word character), this finds the same matches three to four times faster. For those tables
    only: tests/test_asks_tables.py checks that each finds what it found unwrapped."""
    return re.compile(rf"(?=\b\w)(?:{pattern})", flags)


# -- what asks --------------------------------------------------------------------------------
_VOC = r"(?:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?\s*(?:,|-+|:)\s*)?"  # "Scott, what …", "Joe- Where …"
_SUBJECT = r"(?:you|we|they|he|she|it|there|this|that|these|those|the|our|your|my|i|anyone|anybody|someone|somebody|everyone|everybody|any|all)"
_INTERROGATIVE = re.compile(
    rf"^{_VOC}(?:(?:and|so|also|but|ok|btw)[,]?\s+)?(?:"
    rf"(?:is|are|was|were|do|does|did|can|could|would|will|has|have|had|should|shall|may|might|won't|"
    rf"don't|didn't|doesn't|isn't|aren't|can't|haven't|hasn't)\s+{_SUBJECT}\b|"
    r"(?:where|what|when|who|whom|whose|why|which)\s+(?!a\b|an\b|ever\b|not\b)(?!(?:you|we|i|they)\s+\w+[^,?]*,\s*\w[^?]*$)\w|how\s+(?:come|much|many|long|about(?! (?:them|those) (?-i:[A-Z])\w+\W*$)|do|does|did|is|are|was|can|could|should|would|will)\b|"
    r"any (?:thoughts|ideas|word|news|update|updates|comments|details|suggestions|feedback|questions for me)\b|"
    # de fr es it nl pt
    r"(?:kannst|können|könnten|könntest|hast|haben|ist|sind|gibt es|wann|wo|was|wie|warum|wer)\s+\w|"
    r"(?:pouvez|peux|pourriez|pourrais|avez|as-tu|est-ce que|quand|où|pourquoi|qui|quel(?:le)?s?)\b|"
    r"(?:puedes|puede|podrías|podría|tienes|tiene|hay|cuándo|dónde|qué|por qué|quién|cuál)\b|"
    r"(?:puoi|può|potresti|potrebbe|hai|c'è|quando|dove|perché|chi)\b|"
    r"(?:kun je|kunt u|kan je|heb je|hebt u|wanneer|waar|waarom|wie)\b|"
    r"(?:pode|podes|poderia|tem|quando|onde|por que|quem)\b"
    r")",
    _I,
)
# what follows "let me know if" in an offer, not an ask ("… if you need anything"; "… if you
# have an opinion" asks): `_REQUEST` passes over it and `_OFFER` finds it
_IF_YOU_NEED = (
    r"(?:you(?: guys| all| folks| two)?|there)\s+(?:(?:really|still|actually|ever|do)\s+)?"
    r"(?:need|have|want|are|is|hear|see|find|learn|notice)\b"
    r"(?!\s+(?:an?|any)\s+(?:opinion|preference|view|recommendation)s?\b)"
)
_REQUEST = _at_word_starts(
    r"\b(?:can|could|would|will|won't)\s+(?:you|u|someone|somebody|anyone|one of you)\b(?!\s+(?:be|have)\s+(?:there|here))|"
    # not reported speech: "he let me know that …", "Bob called to let me know …"
    r"(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\bwho )(?<!\bwhich )(?<!ed to )(?<!\bhe also )(?<!\bshe also )"
    r"(?<!\bthey also )(?<!\bhe just )(?<!\bshe just )"
    rf"\blet (?:me|us) know\b(?!\s+if\s+{_IF_YOU_NEED})(?!\s+(?:if|where|how|what(?: else)?)\s+(?:i|we)\s+can\b)|"
    # not what something will do: "This report will give us a complete analysis."
    r"(?<!will )(?<!would )(?<!should )(?<!might )(?<!may )(?<!to )(?<!not )(?<!n't )(?<!does )(?<!did )"
    r"\b(?:send|give|forward|email|e-mail|fax|mail|show|tell|bring|get)\s+(?:me|us)\b|"
    r"\blet \w+ (?:or|and) (?:me|us) know\b|"
    r"\bget back to (?:me|us)\b|^call me\b(?!\s+(?:if|with|when you))|\bcall me (?:today|tomorrow|asap|back|to)\b|"
    r"\b(?:i|we) (?:need|require)\s+(?:the|a|an|your|to know (?:if|whether|what|when|how|where|who|which|by|asap|your)|to see|to get|to have|some|more(?! time\b)|copies|answers?|project|"
    r"information|info|details|confirmation|feedback|input|help|it|this|that|them|an? \w+ (?:from|by))\b|"
    r"\b(?:i|we)(?:'d| would)? (?:like|want)\s+(?:to (?:know|see|get|hear|discuss|meet|talk|set up|review|have|find out|understand|get together)|your|a |an |the |you (?:guys |all |two |both |folks )?to(?! be (?:involved|aware|in the loop|informed|there))|copies|some)|"
    rf"^{_VOC}would (?:like|love) to (?:talk|speak|meet|discuss|get together|know|hear)\b|"
    # not said of them: "Your ideas about the kitchen would still be possible."
    r"(?<!with )(?<!had )(?<!have )(?<!has )(?<!without )(?<!seeing )(?<!seen )(?<!saw )(?<!read )(?<!received )"
    r"(?<!got )(?<!reviewed )(?<!considered )(?<!incorporated )(?<!about )\b(?:your|any) (?:thoughts|comments|views|input|feedback|opinion|perspective|ideas|suggestions|recommendations?|take)\b"
    r"(?!(?:\s+(?:about|on|for|regarding|re|of)\b[^.?!]{0,80}?)?\s+(?:were|was|is|are|have|has|helped|made|seem(?:ed)?|"
    r"sound(?:ed)?|would still|will still)\b(?!\s+(?:welcome|appreciated)))|"
    # the shapes of a modern ask: "I'd appreciate it if you could …", "Any chance you could …",
    # "Looking forward to hearing from you.", "Just checking in on the invoice."
    r"\b(?:i|we)(?:'d| would) (?:really |much |greatly )?(?:appreciate|be grateful)\b[^.?!]*\b(?:if you|your|you (?:to|could|can))\b|"
    r"\bif you could (?!not\b)\w+|\bany chance (?:you|we|of)\b|"
    r"\blook(?:ing)? forward to (?:hearing (?:from you|back|your)|your (?:reply|response|answer|thoughts|feedback|comments|views))\b|"
    r"\bjust checking in\b|\bchecking in on\b|"
    # "Just dropping you a line to confirm that you have seen it.", "I hope this meets with
    # your approval."
    r"\b(?:wanted|want|writing|dropping you a line|a line|checking|trying) to (?:confirm|make sure|verify|check) "
    r"(?:that |whether |if )?you(?:'ve| have| had| got| received| saw| are| were)\b|"
    r"\b(?:hope|trust) (?:this|that|it) (?:meets|has) (?:with )?your (?:approval|blessing)\b|"
    r"\b(?:i|we) (?:ask|request) (?:that )?(?:you|each of you|all of you|everyone)\b|"
    r"\b(?:ask|request) that (?:you|each of you|all of you|everyone)\b|"
    r"^(?:would|will|does|do|could) [^.?!]{1,40}\bwork(?: for (?:you|everyone|all of you))?\W*$|"
    rf"^{_VOC}(?:i |we )?need (?:\d|the |a |an |your |some |more (?!time\b)|copies )|"
    r"^(?-i:[A-Z][a-z]+)\s+need (?:\d|the |a |an |your )|"
    r"\b(?:i|we) (?:just|still) (?:need|require) (?:the|a|an|your|to know|to see|to get|to have|some|more)\b|"
    r"^(?:i|we) (?:need|must have|require) (?!to\b)[^.?!]{1,60}\b(?:asap|today|by (?:tomorrow|\w+day|noon|eod|cob))\W*$|"
    r"\bhere (?:are|is) (?:my|our) questions?\b|\b(?:thanks|thank you) in advance\b|"
    r"\bwhat do you (?:think|say|recommend|suggest)\b|\b(?:were|was) wondering (?:if|whether|why|what|how|when)\b|"
    r"\bi wonder (?:if|whether)\b|\bplease (?:confirm|advise|let (?:me|us)|(?:respond|reply)(?! to (?:the |this |that |his |her |their )?(?:request|him|her|them|(?-i:[A-Z]))))\b|\bconfirm receipt\b|"
    r"\byou (?:didn't|did not|forgot to) (?:attach|send|include)\b|\b(?:still )?waiting (?:for|on) (?:your|the|an?)\b|"
    r"\bhow about\b(?! (?:them|those) (?-i:[A-Z])\w+\W*$)|\bare you (?:free|available|around|in)\b|\bdoes (?:that|this|\w+day) work\b|"
    r"(?<!let's )(?<!lets )(?<!\bto )\bgo ahead and (?:draft|prepare|write|put together|set up|send)\b|\bsee request below\b|\bplease (?:see|review) (?:the )?request\b|"
    # de fr es it nl pt
    r"\b(?:bitte|bitten)\s+(?:um|schick|send|gib|sag|ruf|bestätig|prüf|melde)|\bmelde dich\b|\bgib mir bescheid\b|"
    r"\bmerci de (?:me|nous)?\s*\w|\b(?:pouvez|pourriez|peux|pourrais)[- ](?:vous|tu)\b|\bdites-moi\b|\btiens-moi au courant\b|"
    r"\bpor favor\b|\b(?:puedes|podrías|podría|puede)\b|\bavísame\b|\bdime\b|"
    r"\bper favore\b|\bpotresti\b|\bfammi sapere\b|\bfatemi sapere\b|"
    r"\b(?:laat|laten) (?:me|ons) (?:even )?weten\b|\bkun je\b|\bkunt u\b|"
    r"\bpor favor\b|\bpoderia\b|\bme avise\b|\bme diga\b",
    _I,
)
# a proposal that waits for an OK: "we should meet today", "I can meet at 5. Sound OK.", "Lets set a
# date", "Let's talk at 9"; not when it takes up theirs ("yes--lets talk at 9:30")
_PROPOSAL = _at_word_starts(
    r"\b(?:we|you and i) should (?:meet|talk|get together|sit down|speak|catch up) (?:today|tomorrow|tonight|this|next|on|at)\b|"
    r"^(?:does (?:that|this|it) )?sound (?:ok|okay|good|right|fine|alright|reasonable)\b|"
    r"\blet'?s (?:set (?:up )?a (?:date|time|meeting|call)|meet|get together)\b|"
    rf"(?:^{_VOC}|^(?:ok|so|then)\W+)let'?s discuss\W*$|\bonce you\b[^.?!]*\blet'?s discuss\b|\blet'?s discuss (?:when|once) you\b|"
    r"\blet'?s (?:talk|speak) (?:at|on|tomorrow|today|tonight|this|next|(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?)\b|\blet'?s discuss (?:this|it|that)\b"
    r"(?![^.?!]*\b(?:in|at|during) (?:our|the|tomorrow's|today's|next|\w+day's) (?:[\w:]+ ){0,2}(?:meeting|call|session|staff)\b)|"
    r"\b(?:would|will|should) work (?:for|with) (?:us|me)\b",
    _I,
)
_ACCEPT = re.compile(r"^(?:yes|yep|yeah|sure|ok|okay|fine|great|sounds good|works for me)\b", _I)
# an ask only by implication, which an answer to the other person's question outweighs
_IMPLICIT = re.compile(
    r"\b(?:attachments?|links?|files?|spreadsheets?|sheets?|documents?) (?:do not|does not|did not|don't|doesn't|didn't|won't|will not) (?:work|open|load)\b|"
    r"\b(?:i|we) (?:could not|couldn't|can't|cannot|can not) open\b|"
    r"\b(?:it|this|that) (?:does not|did not|doesn't|didn't) work\b|"
    r"\b(?:i|we) (?:have not|haven't|still have not|still haven't) (?:received|gotten|got|heard|seen)\b|"
    r"\b(?:i|we) (?:did not|didn't|still did not|still didn't|never) receive\b|"
    r"\b(?:ich habe|wir haben) (?:noch )?(?:nichts|keine?n?) (?:erhalten|bekommen)\b|\bje n'ai (?:pas|rien) reçu\b|"
    r"\bno he recibido\b",
    _I,
)
_PLEASE = re.compile(
    r"\b(?:please|pls|plz|kindly)\b\s*,?\s*(?:(?:also|just|now|then)\s+)?(\w+)(.*)", _I
)
# what a "please" asks for when nothing comes back to the user
_CHORE = re.compile(
    r"\b(?:please|pls|plz)\s+(?:(?:print|file|put (?:(?:this|it) )?on (?:my |the )?calend[ae]r|calend[ae]r|rsvp|"
    r"copy|shred|destroy|delete|discard|save|book (?:a|the|me)|handle|take care|add (?:this|it) to my calendar|"
    r"adjust (?:my |the )?calend[ae]r|remind (?:me|everyone)|make (?:\d+ )?copies|order|sign (?:(?:me|us) )?up|"
    r"coordinate|respond to (?:the )?request|set up a (?:meeting|call|conference call|lunch|dinner|time)|"
    r"keep an eye on|remove (?:me |us |my name )?from|mark (?:it |this )?on (?:your|my) calendars?|get (?:me|us) (?:on (?:the|a|his|her)|to (?-i:[A-Z])\w*))\b|"
    r"follow[- ]?up\b(?! with (?:me|us)\b)|set up\W*$)|\b(?:please|pls)\b[^.?!]*\bcalend[ae]rs?\b|"
    r"\b(?:into|to|in) my (?:address book|contacts|outlook)\b|\bcontact book\b|"
    r"\bget (?:me|us) (?:rsvp'?d|registered|signed up|booked|scheduled|enrolled)\b|"
    # an assistant's errands: "Please get me a flight and hotel", "add me to this list"
    r"\b(?:get|book|reserve|find) (?:me|us) (?:a |an )?(?:flight|hotel|room|car|ticket|tickets|reservation|rental)s?\b|"
    r"\b(?:add|put) (?:me|us|my name) (?:to|on) (?:the |this |that |your |his |her )?(?:distribution |mailing |e-?mail )?list\b|"
    r"\bprint (?:it |this |them |that )?(?:out )?for me\b|"
    r"\bfind a (?:date|time|day) that works\b|\btake the lead on\b|\bput (?:me|us) down for\b|"
    r"\bhave (?:me|us) (?:added|removed|put|signed)\b|\bput (?:in )?a reminder\b|"
    r"\b(?:will|can|could|would) you (?:please )?schedule (?:him|her|them|me|us|an? (?:appt|appointment|meeting|call|time))\b|"
    # "Kay, can you please try to organize ASAP.", "pls arrange a lunch with the team"
    r"\b(?:please|pls|plz|(?:will|can|could|would) you(?: please)?) (?:try to )?(?:organi[sz]e|arrange)\b"
    r"(?:\s+(?:it|this|that|one))?(?:\s+asap\W*$|\s+(?:a|an|the)\s+(?:\w+\s+)?(?:meeting|call|lunch|dinner|conference call|offsite|get-together)\b)",
    _I,
)
_NAME = r"(?!(?:me|us)\b)(?:(?:him|her|them)\b|(?-i:[A-Z][a-z]+|[A-Z]{2,4})\b)"  # someone other than the user
_NOT_ALSO_ME = (
    r"(?!\s+(?:or|and)\s+(?:me|us)\b)"  # "get back to Britt or me" comes back to the user
)
# a request whose result goes to someone else: nothing comes back to the user
_DELEGATION = _at_word_starts(
    rf"\b(?:get back|respond|reply|report back|get (?:this|it)|communicate(?: \w+)?)\s+to\s+{_NAME}{_NOT_ALSO_ME}|"
    rf"\blet\s+{_NAME}\s+know\b|\bhelp\s+{_NAME}|"
    rf"\b(?:get together|sit down|confirm|check|coordinate|work (?:it|this) out|work(?: directly| closely)?) with\s+{_NAME}{_NOT_ALSO_ME}|"
    rf"(?:^{_VOC}|\b(?:please|pls|plz|kindly|can you|could you|will you|would you)\s+)"
    rf"(?:tell|ask|inform|remind|notify|call|ring|email|e-mail|cc|copy|advise)\s+{_NAME}{_NOT_ALSO_ME}(?!\s+(?:to|for|with|about|on)\s+(?:me|us)\b)|"
    r"\blet\s+[\w'.]+(?:\s+(?:group|team|desk|office))?\s+handle\b|"
    rf"\bhave\s+(?:him|her|them|(?-i:[A-Z][a-z]+))\s+(?:contact|call|email|e-mail|talk to|reach out|get in touch)\b|"
    r"\bhave (?:someone|somebody|one of your (?:people|guys|team)) (?:follow[- ]?up|look into|call|handle|take care)\b|"
    rf"\bgive\s+{_NAME}{_NOT_ALSO_ME}\s+a\s+(?:call|ring|buzz|shout)\b|"
    # "can you fax this guy a blank dash", "can you speak to Brian on this": theirs, not the user's
    r"\b(?:can|could|would|will) you (?:please )?(?:fax|send|forward|email|e-mail|mail|give) "
    rf"(?:this guy|that guy|{_NAME}){_NOT_ALSO_ME}(?!\s+(?:to|for|with) (?:me|us)\b)|"
    rf"\b(?:can|could|would|will) you (?:please )?(?:speak|talk) (?:to|with) {_NAME}{_NOT_ALSO_ME}|"
    r"\blet (?:the|our|your|all the) \w+ know\b|"
    rf"\bget (?:w/|with|together with)\s*{_NAME}{_NOT_ALSO_ME}|\bmake sure\s+(?-i:[A-Z][a-z]+)\s+(?:attends|gets|has|knows|is)\b|\bprovide\s+(?-i:[A-Z][a-z]+)\s+with\b|"
    rf"^(?:i|we)(?:'d| would) like (?!you\b){_NAME}\s+to\b|"
    # de fr es
    r"\b(?:gib|sag) (?:ihm|ihr|ihnen) bescheid\b|\bréponds?(?:-lui| lui)\b|\bcontéstale\b",
    _I,
)
_PLEASE_NOT_ASK = frozenset(
    re.findall(
        r"\S+",
        "see note find read convey use attend participate remind customize have invite keep "
        "be do feel accept excuse forgive disregard ignore join note get call come remember "
        "hold plan make distribute contact consider make sure proceed ensure begin continue start grant "
        "focus pass circulate create move settle trade place stay combine line go update include work ",
    )
)
# what a "please <verb>" asks for that comes back to the user by its nature: something sent or
# told, a check, a call (the rest, "please move / add / create / line up …", is a request whose
# coming back is not said)
_PLEASE_BACK = frozenset(
    re.findall(
        r"\S+",
        "send resend re-send email e-mail fax forward provide give call phone ring confirm verify "
        "advise respond reply answer check double-check explain clarify comment review look "
        "investigate research find return submit stop come drop let draft prepare develop generate "
        "write complete fill reconcile assemble route sign countersign",
    )
)
# what is sent or told to the user: it comes back
_SENT_TO_ME = r"\b(?:send|give|forward|email|tell|show) (?:me|us)\b"
_PLEASE_ASK_AFTER = re.compile(
    r"^\s*(?:me|us)\b(?!\s+in\b)|^\s*(?:back|to discuss|to talk|when|asap|as soon as|what|whether|if)\b|"
    r"\b(?:to|for) me\b|\bback to (?:me|us)\b|\bso (?:that )?(?:i|we)\b|\b(?:or|and) (?:me|us|i)\b|\bfind out\b|"
    rf"{_SENT_TO_ME}|\b(?:send|get) (?:it|them|this|that) back\b|\byour (?:reply|response|answer)\b|"
    r"\bwith (?:an? |the |your )?(?:update|answer|status|response|reply|thoughts|comments|decision)\b",
    _I,
)
_OFFER = _at_word_starts(
    rf"\blet (?:me|us) know if {_IF_YOU_NEED}|\blet (?:me|us) know (?:if|where|how|what(?: else)?) (?:i|we) can\b|\blet (?:me|us) know if (?:i|we) (?:need|should|have) to\b|"
    r"\blet (?:me|us) know if (?:anything|something|any|problems?|issues?|questions?)\b|^(?:[A-Z]\w+\s+)?if\b.*\blet (?:me|us) know\W*$|"
    r"\b(?:call|contact|email|ping) me (?:directly |anytime |any time )?(?:if|with|when you)\b|\bplease call (?:me )?with (?:any )?questions\b|"
    r"\b(?:call|contact|email|ping|reach) me (?:anytime|any time|whenever)\b|"
    r"\b(?:do not|don't|dont) hesitate\b[^.?!]*|"
    r"\bgive (?:me|us)(?: or \w+)? a (?:call|ring|shout|note|line)\b[^.?!]*?\b(?:if|with|when|should)\b(?! you can\W*$)|"
    r"\bfe[el]l free\b[^.?!]*|\bhope (?:this|that|it) helps\b|\bif you (?:need|have|want)\b[^.?!]*?\blet (?:me|us) know\b|"
    r"\bif you (?:need|have|want) (?:any|anything|more|further|help)\b|"
    r"\bif (?:i|we) can (?:help|assist|do anything|be of)\b(?:[^.?!]*?\blet (?:me|us) know\b)?|\bmelde dich,? wenn\b|\bn'hésitez pas\b|\bno dudes en\b",
    _I,
)
_NO_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fyi",
        re.compile(
            r"\bfyi\b|\bfor your (?:information|info|records|reference|review)\b|\byou may (?:have an |be )?interest|"
            r"\bthought you (?:might|would|may)\b|\bheads[- ]up\b|\bin case you\b|\bzur (?:info|kenntnis)\b|"
            r"\bpour (?:info|information)\b|\bpara tu información\b|\bper (?:tua )?informazione\b|\bter info\b",
            _I,
        ),
    ),
    (
        "delivery",
        re.compile(
            r"\battached (?:is|are|please find|you will find|you'll find)\b|^attached\b|\bhere (?:is|are|it is|'s)\b|"
            r"\benclosed (?:is|are|please find)\b|\b(?:i(?:'ve| have)?|we(?:'ve| have)?) attached\b|\bsee (?:the )?attached\b|"
            r"\bim anhang\b|\bci-joint\b|\bci-jointe?s?\b|\badjunto\b|\bin allegato\b|\bin de bijlage\b|\bem anexo\b",
            _I,
        ),
    ),
    (
        "thanks",
        re.compile(
            r"\b(?:thanks|thank you|thx|tx|ty|appreciate|grateful|danke|vielen dank|merci|gracias|grazie|bedankt|"
            r"obrigad[oa])\b",
            _I,
        ),
    ),
    (
        "closing",
        re.compile(
            r"\bgood luck\b|\bbest of luck\b|\b(?:great|good|nice) (?:job|work)\b|\bwell done\b|\bcongrat|\bhave a (?:good|great|nice)\b|"
            r"\bhappy (?:holidays|new year|birthday|thanksgiving)\b|\bhope (?:all is well|you|things|so)\b|\benjoy\b|"
            r"\bsorry to hear\b|\bmerry christmas\b|\btake care\b|\bviel glück\b|\bbonne chance\b|\bsuerte\b|\bin bocca al lupo\b",
            _I,
        ),
    ),
    (
        "answer",
        re.compile(
            r"^(?:yes|no|yeah|yep|nope|sure|ok|okay|fine|approved|agreed|correct|right|done|perfect|great|good|"
            r"will do|no problem|no problemo|authori[sz]ed|understood|got it|makes sense|ja|nein|oui|non|sí|si|nee)\b|"
            r"\b(?:sounds|looks|seems) (?:good|fine|great|ok|okay|reasonable|spiffy|right)\b|\bi agree\b|\bi approve\b|"
            r"\b(?:that|this|it)(?:'s| is) (?:fine|ok|okay|good|great|correct|right)\b|\bis (?:fine|ok) with me\b|"
            r"\bok with me\b|\bfine (?:with|by) me\b|\byour call\b|\bi (?:don't|do not) (?:think|believe|see)\b|"
            r"\bi (?:think|believe|would suggest|suggest|recommend)\b",
            _I,
        ),
    ),
    (
        "confirmation",
        re.compile(
            r"\bi(?:'ll| will) (?:be there|attend|join|come)\b|\bworks for me\b|\bcan'?t make it\b|\bcount me in\b|"
            r"\bsee you (?:then|there|tomorrow|on|at)\b|\bunfortunately,? i\b|\bi(?:'ll| will) be (?:in|out|on|away)\b|"
            r"\bno interest\b|\bnot interested\b|\bi(?:'m| am) (?:quite )?content\b",
            _I,
        ),
    ),
    (
        "next_step",
        re.compile(
            r"\b(?:i|we)(?:'ll| will| shall| am going to|'m going to) (?:call|send|talk|let you know|forward|discuss|get|"
            r"follow|check|look|email|e-mail|be in touch|handle|review|try|contact|speak|give|take|set|put|work|"
            r"have|make|pass|submit|keep)\b|\btalk (?:to|with) you\b|\bwe are (?:looking|working) (?:at|on)\b|"
            r"\bwill be (?:contacting|calling|following up)\b|\bi have (?:fixed|done|sent|forwarded|updated|talked)\b",
            _I,
        ),
    ),
)
_BANTER_QUESTION = re.compile(
    r"^(?:raincheck|was i close|guess what|right|huh|eh|who knew|what else is new|how cool is that|you know)\W*\?|"
    r"\bwhat do you expect from me\b|\bya think\b|\bcan you believe\b|"
    # small talk: "How is it going?", "How was your weekend?", "whasssup?" (not "what's up?":
    # as often a real ask for news)
    r"^(?:so,? |and |hey,? )?(?:how(?:'s| is| are| was| have)? (?:it going|things(?: going)?|you(?: doing)?|"
    r"you been|everything|life|the family|the kids|your (?:trip|weekend|vacation|holiday|summer))|"
    r"wh?as{2,}up|whazz?up)\W*\?",
    _I,
)
# a fallback, not an ask: "Either Kalen or Dan will follow up. If not please give me a call.",
# "Let me know otherwise.", "unless I hear from you"
_FALLBACK = _at_word_starts(
    r"^(?:if not|otherwise|failing that|if (?:that|this|it) (?:can't|cannot|doesn't|does not|won't|fails))\b|"
    r"\botherwise\W*$|\bunless (?:i|we) hear\b|"
    r"\blet (?:me|us) know if (?:you )?(?:disagree|object|have (?:any )?objections?)\b|\bif (?:there are )?no objections?\b|"
    r"\blet (?:me|us) know if (?:anyone|anybody|someone|any of you) (?:has|have) (?:any )?(?:concerns?|objections?|problems?|issues?)\b|"
    r"\blet (?:me|us) know if (?:there is|there's|you see) (?:a|any) reason (?:why )?(?:i|we) (?:should not|shouldn't)\b|"
    r"\blet (?:me|us) know if (?:i|we)(?:'m| am|'re| are|'ve| have) (?:wrong|incorrect|mistaken|off|missed)\b|"
    r"\blet (?:me|us) know if (?:this|that|it|anything)(?: is|'s) (?:wrong|incorrect|missing|off)\b|"
    r"\bif\b[^?!]*,\s*(?:please )?let (?:me|us) know\W*$|\bif (?:required|needed|necessary|appropriate)\W*$",
    _I,
)
_BACK_TO_ME = re.compile(
    rf"\blet (?:me|us) know\b|\bget back to (?:me|us)\b|{_SENT_TO_ME}|\bcall me\b", _I
)
# a pointer to something to read, not an ask: "All: Please take a look at this article."
_POINTER = re.compile(
    r"\b(?:take a look at|have a look at|look at|read|check out|see) (?:this|the|that) "
    r"(?:article|link|story|piece|site|website|page|clipping|item|blurb|write-?up)\b",
    _I,
)
# "Did you all see the blurb in the Gas Daily?": a pointer phrased as a question
_POINTER_QUESTION = re.compile(
    r"^(?:did|have) you (?:all |guys )?(?:see|seen|read|catch|caught)\b[^?]*\b"
    r"(?:article|story|piece|clipping|blurb|write-?up|headline|column)\b",
    _I,
)
_CLAUSE = re.compile(r"\s+-{1,2}\s+|(?<=\w)--+(?=\w)|;\s+")
_LMK = re.compile(r"\blmk\b", _I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", _I)


def _plain(sentence: str) -> str:
    """The sentence without links, its shorthand spelled out ("lmk" -> "let me know")."""
    s = _URL.sub("", sentence).strip().strip("\"')(*[] ")
    return _LMK.sub("let me know", s)


def is_ask(sentence: str) -> bool:
    """Does this sentence ask the recipient for something that comes back to the user?"""
    s = _plain(sentence)
    if "?" in s:
        if (_CHORE.search(s) or _DELEGATION.search(s)) and not _BACK_TO_ME.search(s):
            return False  # "Will you have me added to it?", "Could you send him the deck?"
        return not (_BANTER_QUESTION.search(s) or _POINTER_QUESTION.search(s))
    if _FALLBACK.search(s) or _POINTER.search(s):
        return False
    if _CHORE.search(s) or _DELEGATION.search(s):
        # a request can share the sentence with a chore: "need the deal list by Friday - please
        # follow up" asks for the list
        if _BACK_TO_ME.search(_OFFER.sub("", s)):  # "check with Bob and let me know"
            return True
        clauses = _CLAUSE.split(s)
        return len(clauses) > 1 and any(
            is_ask(c) for c in clauses if not (_CHORE.search(c) or _DELEGATION.search(c))
        )
    if _OFFER.search(s) and not re.search(r"\?", s):
        # an offer can still carry a request: "Let me know when … and call me if …"
        rest = _OFFER.sub("", s)
        return bool(_REQUEST.search(rest)) or bool(_INTERROGATIVE.match(rest))
    if _PROPOSAL.search(s):
        return not _ACCEPT.match(s)
    if _INTERROGATIVE.match(s) or _REQUEST.search(s) or _IMPLICIT.search(s):
        return True
    return _please(s) == "ask"


def is_request(sentence: str) -> bool:
    """A "please …" that asks for something done but says nothing of it coming back to the user
    ("Please activate product number 45313.", "Please schedule an afternoon appt."): on fresh
    mail about half of these waited for an answer, so the message is left for the user to decide
    (the verbs of a standing instruction, "please move / create / line up …", say no)."""
    s = _plain(sentence)
    if "?" in s or is_ask(s):
        return False
    settled = (_CHORE, _DELEGATION, _OFFER, _FALLBACK, _POINTER)  # those are "no"
    return not any(p.search(s) for p in settled) and _please(s) == "request"


def _please(s: str) -> str:
    """A "please <verb> …" sentence: "ask" when what it asks for comes back to the user (sent,
    told, confirmed, checked: `_PLEASE_BACK`, or "… to me", "… and let me know"), "request" when
    nothing is said to come back, "" when it is not a request at all (a chore, "please see
    below", a condition)."""
    please = _PLEASE.search(s)
    if please is None or _CHORE.search(s) or re.match(r"^if\b", s, _I):
        return ""
    verb, rest = please.group(1).lower(), please.group(2)
    if verb in ("take", "have") and re.match(r"\s+a\s+(?:quick\s+)?look\b", rest, _I):
        verb = "look"  # "please take a look at these spreadsheets": a review
    back = bool(_PLEASE_ASK_AFTER.search(rest))
    if verb in _PLEASE_NOT_ASK:
        return "ask" if back and verb not in ("see", "note", "read") else ""
    if verb in ("forward", "send", "provide", "give", "distribute") and re.search(
        r"\bto (?!me\b|us\b)(?:[\"'A-Z]|(?:all|your|everyone|everybody|the team)\b|\w+(?:\s+\w+)?\W*$)",
        rest,
    ):
        return "ask" if re.search(r"\bso (?:that )?(?:i|we)\b", rest, _I) else ""
    return "ask" if back or verb in _PLEASE_BACK else "request"


# a wish or a need of the user's own ("I would like to get this done ASAP.", "We need a new
# DASH"), not one put to the recipient ("I'd like you to …", "I need you to …")
_WISH = re.compile(
    rf"\b(?:i|we)(?:'d| would)? (?:like|want|need|require)\b(?! you\b| to know\b| the\b)|^{_VOC}(?:i |we )?need\b(?! you\b| to know\b| the\b)|"
    r"^would (?:like|love) to\b",
    _I,
)


def soft(sentence: str) -> bool:
    """An ask only by a wish or need the user states ("I would like to see your group in our
    meetings."), which an answer to the other person's question outweighs, as it does `implicit`."""
    s = _plain(sentence)
    if not _WISH.search(s) or "?" in s or _INTERROGATIVE.match(s) or _PROPOSAL.search(s):
        return False
    return not (_REQUEST.search(_WISH.sub(" ", s)) or _please(s) == "ask")


def implicit(sentence: str) -> bool:
    """An ask by implication only ("I have not received …"), which an answer to the other
    person's question outweighs."""
    s = sentence.strip()
    return bool(_IMPLICIT.search(s)) and not (
        "?" in s or _INTERROGATIVE.match(s) or _REQUEST.search(s) or _PROPOSAL.search(s)
    )


def has_question(sentence: str) -> bool:
    """A question mark outside a link."""
    return "?" in _URL.sub("", sentence)


def no_marker(sentence: str) -> str:
    """What a sentence that asks nothing is, by the first table that matches it ("" if none)."""
    sentence = _LMK.sub("let me know", sentence)
    if _CHORE.search(sentence):
        return "chore"
    if _OFFER.search(sentence) or _FALLBACK.search(sentence):
        return "offer"
    if _POINTER.search(sentence):
        return "fyi"
    if _DELEGATION.search(sentence):
        return "delegation"
    for kind, pattern in _NO_MARKERS:
        if pattern.search(sentence):
            return kind
    return ""
