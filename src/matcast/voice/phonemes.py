"""eSpeak NG's own reading of a text, as IPA: what a respelling will sound like.

Calls ``espeak_TextToPhonemes`` in the eSpeak NG library that ``espeakng-loader`` ships, through
ctypes, in this process: it only reads text (no audio), and the library's data comes from the
same wheel, so eSpeak's ``exit(1)`` without its data cannot happen. Piper phonemizes with eSpeak
NG too (its voices name an eSpeak voice, ``en-us`` for joe), so one reading serves both engines.
Not thread-safe, as eSpeak is not: a lock serialises callers.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

from matcast.errors import VoiceError

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_voice: str | None = None


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        try:
            import espeakng_loader
        except ImportError:
            raise VoiceError("eSpeak NG's phonemes need the espeakng-loader package, which is "
                             "not installed\n    hint: pip install espeakng-loader") from None
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int,
                                              ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        # The folder holding espeak-ng-data, which is what espeak_Initialize asks for.
        home = str(Path(espeakng_loader.get_data_path()).parent).encode()
        if lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, home, 0) < 0:
            raise VoiceError("eSpeak NG could not start (its data folder is missing?)"
                             f"\n    hint: reinstall espeakng-loader ({home.decode()})")
        _lib = lib
    return _lib


def phonemes(text: str, voice: str = "en-us") -> str:
    """eSpeak NG's IPA for ``text`` read with ``voice`` (clauses joined by spaces).

    Primary stress is ``ˈ`` and secondary ``ˌ``, placed before the stressed syllable.
    """
    global _voice
    with _lock:
        lib = _library()
        if voice != _voice:
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise VoiceError(f"eSpeak NG has no voice {voice!r}"
                                 "\n    hint: run `matcast voices --engine pyttsx3`")
            _voice = voice
        buffer = ctypes.create_string_buffer(text.encode("utf-8"))
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        while pointer.value:
            out = lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA)
            if out:
                clauses.append(out.decode("utf-8", errors="replace").strip())
        return " ".join(c for c in clauses if c)
