"""A tiny randomly initialised two-speaker Coqui VITS model, built and saved through Coqui's public API.

It speaks noise, but through every real code path: config.json + checkpoint on disk, loaded by
``TTS(model_path=..., config_path=...)``, speaker embeddings, sentence splitting, 16 kHz output.
Building it takes one or two seconds; the checkpoint is about 1 MB.
"""

from __future__ import annotations

from pathlib import Path

SPEAKERS = ("ada", "grace")
"""Speaker names baked into the model."""

SAMPLE_RATE = 16000
"""Output rate of the model."""

HOP_LENGTH = 64
"""Samples per spectrogram frame; the decoder's upsampling rates multiply to it."""


def build_tiny_vits(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """Save a fresh tiny VITS as ``folder/model.pth`` + ``folder/config.json``; return both paths."""
    import torch
    from trainer.io import save_model
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(seed)
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=16,
        num_heads_text_encoder=1,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        out_channels=HOP_LENGTH + 1,  # fft_size // 2 + 1
        upsample_rates_decoder=[8, 8],
        upsample_kernel_sizes_decoder=[16, 16],
        upsample_initial_channel_decoder=16,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        use_sdp=False,  # the plain duration predictor: deterministic lengths, a 10x smaller checkpoint
        use_speaker_embedding=True,
        speaker_embedding_channels=8,
        init_discriminator=False,
    )
    config = VitsConfig(
        model_args=args,
        audio=BaseAudioConfig(
            sample_rate=SAMPLE_RATE, fft_size=2 * HOP_LENGTH, win_length=2 * HOP_LENGTH,
            hop_length=HOP_LENGTH, num_mels=20,
        ),
        speakers=list(SPEAKERS),
        use_phonemes=False,  # phonemes would need espeak-ng on the system
        phoneme_language="en",
        text_cleaner="basic_cleaners",
        characters=CharactersConfig(
            characters_class="TTS.tts.models.vits.VitsCharacters",
            characters="abcdefghijklmnopqrstuvwxyz",
            punctuations="!'(),-.:;? ",
            phonemes="",
            pad="<PAD>",
            eos="<EOS>",
            bos="<BOS>",
            blank="<BLNK>",
        ),
    )
    folder.mkdir(parents=True, exist_ok=True)
    model_path, config_path = folder / "model.pth", folder / "config.json"
    config.save_json(str(config_path))
    save_model(config, Vits(config), model_path, current_step=0, epoch=0)
    return model_path, config_path
