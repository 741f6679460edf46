"""Resampling stacks the field actually uses, as real torch modules with published geometry.

Upsampling stacks (generators, decoders, vocoders: ``direction="forward"``, the output's
checkerboard) and downsampling ones (classifiers, encoders, discriminators:
``direction="backward"``, the checkerboard of the gradient they hand back). Weights are random
(torch's default initialisation, or the paper's where it matters, e.g. FCN's bilinear
upsampling, He initialisation for ResNet and VGG); nothing is downloaded. Channel widths can
be scaled with ``width`` (the geometry, which is what the audit is about, never changes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .._util.checks import check_choice, check_float, check_int
from ..core.calculator import times_stride_padding
from ..core.kernels import bilinear

__all__ = ["ZOO", "ZooEntry", "build", "input_shape", "zoo_table"]


def _w(channels: float, width: float) -> int:
    return max(1, round(channels * width))


def _double_conv(a: int, b: int) -> nn.Sequential:
    """The U-Net's two 3x3 convolutions with ReLU, ``a`` to ``b`` channels."""
    return nn.Sequential(
        nn.Conv2d(a, b, 3, padding=1),
        nn.ReLU(True),
        nn.Conv2d(b, b, 3, padding=1),
        nn.ReLU(True),
    )


class DCGANGenerator(nn.Module):
    """Radford et al. 2016 (PyTorch DCGAN example): 1x1 latent to 64x64 through k=4/s=2/p=1."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3, width: float = 1.0) -> None:
        super().__init__()
        g = _w(ngf, width)
        chans = [nz, g * 8, g * 4, g * 2, g]
        layers: list[nn.Module] = []
        for i in range(4):
            stride, pad = (1, 0) if i == 0 else (2, 1)
            layers += [
                nn.ConvTranspose2d(chans[i], chans[i + 1], 4, stride, pad, bias=False),
                nn.BatchNorm2d(chans[i + 1]),
                nn.ReLU(True),
            ]
        layers += [nn.ConvTranspose2d(g, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class Pix2PixHDDecoder(nn.Module):
    """Wang et al. 2018, global generator's decoder: four k=3/s=2/p=1/op=1 transposed convs."""

    def __init__(self, ngf: int = 64, n_down: int = 4, out_nc: int = 3, width: float = 1.0) -> None:
        super().__init__()
        g = _w(ngf, width)
        layers: list[nn.Module] = []
        for i in range(n_down):
            mult = 2 ** (n_down - i)
            layers += [
                nn.ConvTranspose2d(
                    g * mult, g * mult // 2, 3, stride=2, padding=1, output_padding=1
                ),
                nn.BatchNorm2d(g * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(g, out_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        self.in_channels = g * 2**n_down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class UNet(nn.Module):
    """Ronneberger et al. 2015: up-convolutions k=2/s=2 with skip connections (depth 4)."""

    def __init__(self, in_ch: int = 1, out_ch: int = 2, base: int = 64, width: float = 1.0) -> None:
        super().__init__()
        c = [_w(base * 2**i, width) for i in range(5)]

        self.down = nn.ModuleList(
            [_double_conv(in_ch, c[0])] + [_double_conv(c[i], c[i + 1]) for i in range(4)]
        )
        self.up = nn.ModuleList(
            [nn.ConvTranspose2d(c[i + 1], c[i], 2, stride=2) for i in reversed(range(4))]
        )
        self.dec = nn.ModuleList([_double_conv(2 * c[i], c[i]) for i in reversed(range(4))])
        self.head = nn.Conv2d(c[0], out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, blk in enumerate(self.down):
            x = blk(x if i == 0 else nn.functional.max_pool2d(x, 2))
            skips.append(x)
        skips.pop()
        for up, dec in zip(self.up, self.dec, strict=True):
            x = dec(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


def _bilinear_(conv: nn.ConvTranspose2d, stride: int) -> None:
    kern = torch.from_numpy(bilinear(stride, ndim=2)).float()
    with torch.no_grad():
        conv.weight.zero_()
        for c in range(min(conv.in_channels, conv.out_channels)):
            conv.weight[c, c, : kern.shape[0], : kern.shape[1]] = kern


class FCN8s(nn.Module):
    """Long et al. 2015: score maps at 1/32, 1/16, 1/8 fused by bilinear-initialised
    transposed convs k=4/s=2 (twice) and k=16/s=8, bias-free. Backbone: strided convs."""

    def __init__(self, n_class: int = 21, width: float = 1.0) -> None:
        super().__init__()
        c = [_w(v, width) for v in (64, 128, 256, 512, 512)]
        chans = [3, *c]
        self.stages = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Conv2d(chans[i], chans[i + 1], 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2)
                )
                for i in range(5)
            ]
        )
        self.score_fr = nn.Conv2d(c[4], n_class, 1)
        self.score_pool4 = nn.Conv2d(c[3], n_class, 1)
        self.score_pool3 = nn.Conv2d(c[2], n_class, 1)
        self.upscore2 = nn.ConvTranspose2d(n_class, n_class, 4, stride=2, padding=1, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(
            n_class, n_class, 4, stride=2, padding=1, bias=False
        )
        self.upscore8 = nn.ConvTranspose2d(n_class, n_class, 16, stride=8, padding=4, bias=False)
        for m, s in ((self.upscore2, 2), (self.upscore_pool4, 2), (self.upscore8, 8)):
            _bilinear_(m, s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        up = self.upscore2(self.score_fr(feats[4])) + self.score_pool4(feats[3])
        up = self.upscore_pool4(up) + self.score_pool3(feats[2])
        return self.upscore8(up)


class ESPCN(nn.Module):
    """Shi et al. 2016: conv5 (64) - conv3 (32) - conv3 (C r^2) - pixel shuffle by r."""

    def __init__(self, scale: int = 3, channels: int = 1, width: float = 1.0) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, _w(64, width), 5, padding=2),
            nn.Tanh(),
            nn.Conv2d(_w(64, width), _w(32, width), 3, padding=1),
            nn.Tanh(),
            nn.Conv2d(_w(32, width), channels * scale**2, 3, padding=1),
        )
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.body(x))


class SRGANUpsampler(nn.Module):
    """Ledig et al. 2017: two conv3 (64 -> 256) + pixel shuffle x2 + PReLU blocks, then conv9."""

    def __init__(self, channels: int = 64, out_nc: int = 3, width: float = 1.0) -> None:
        super().__init__()
        c = _w(channels, width)
        blocks: list[nn.Module] = []
        for _ in range(2):
            blocks += [nn.Conv2d(c, c * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU()]
        self.up = nn.Sequential(*blocks, nn.Conv2d(c, out_nc, 9, padding=4))
        self.in_channels = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(x)


class _Res1d(nn.Module):
    def __init__(self, ch: int, dilation: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.Conv1d(ch, ch, 3, dilation=dilation, padding=dilation),
            nn.LeakyReLU(0.2),
            nn.Conv1d(ch, ch, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class MelGANGenerator(nn.Module):
    """Kumar et al. 2019: 80 mel channels, ratios 8, 8, 2, 2 with ConvTranspose1d of
    kernel 2r, stride r, padding r//2 + r%2, output padding r%2; residual stacks."""

    def __init__(self, n_mels: int = 80, ngf: int = 32, ratios=(8, 8, 2, 2), width: float = 1.0):
        super().__init__()
        mult = 2 ** len(ratios)
        ch = _w(ngf * mult, width)
        layers: list[nn.Module] = [nn.ReflectionPad1d(3), nn.Conv1d(n_mels, ch, 7)]
        for r in ratios:
            layers += [
                nn.LeakyReLU(0.2),
                nn.ConvTranspose1d(
                    ch, ch // 2, 2 * r, stride=r, padding=r // 2 + r % 2, output_padding=r % 2
                ),
            ]
            ch //= 2
            layers += [_Res1d(ch, 3**j) for j in range(3)]
        layers += [nn.LeakyReLU(0.2), nn.ReflectionPad1d(3), nn.Conv1d(ch, 1, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.model(mel)


class HiFiGANV1(nn.Module):
    """Kong et al. 2020, V1: upsample rates 8, 8, 2, 2 with kernels 16, 16, 4, 4
    (padding (k - u) // 2), 512 initial channels, one residual block per stage here."""

    def __init__(
        self,
        n_mels: int = 80,
        ch: int = 512,
        rates=(8, 8, 2, 2),
        kernels=(16, 16, 4, 4),
        width: float = 1.0,
    ) -> None:
        super().__init__()
        c = _w(ch, width)
        self.pre = nn.Conv1d(n_mels, c, 7, padding=3)
        self.ups = nn.ModuleList()
        self.res = nn.ModuleList()
        for u, k in zip(rates, kernels, strict=True):
            self.ups.append(nn.ConvTranspose1d(c, c // 2, k, stride=u, padding=(k - u) // 2))
            c //= 2
            self.res.append(_Res1d(c, 1))
        self.post = nn.Conv1d(c, 1, 7, padding=3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.pre(mel)
        for up, res in zip(self.ups, self.res, strict=True):
            x = res(up(nn.functional.leaky_relu(x, 0.1)))
        return torch.tanh(self.post(nn.functional.leaky_relu(x)))


class CodecDecoder(nn.Module):
    """SoundStream/EnCodec-style decoder: ConvTranspose1d with kernel 2s at strides 8, 5, 4, 2
    (padded to give exactly n*s), channels halving, ELU, residual units."""

    def __init__(self, dim: int = 128, ch: int = 512, strides=(8, 5, 4, 2), width: float = 1.0):
        super().__init__()
        c = _w(ch, width)
        layers: list[nn.Module] = [nn.Conv1d(dim, c, 7, padding=3)]
        for s in strides:
            p, op = times_stride_padding(2 * s, s)
            layers += [
                nn.ELU(),
                nn.ConvTranspose1d(c, c // 2, 2 * s, stride=s, padding=p, output_padding=op),
            ]
            c //= 2
            layers += [_Res1d(c, 1)]
        layers += [nn.ELU(), nn.Conv1d(c, 1, 7, padding=3)]
        self.model = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z)


# --------------------------------------------------------------------------- downsampling


class DCGANDiscriminator(nn.Module):
    """Radford et al. 2016 (PyTorch DCGAN example): 64x64 image to one logit through four
    Conv k=4/s=2/p=1 (BatchNorm and LeakyReLU 0.2 between), then Conv k=4/s=1/p=0."""

    def __init__(self, nc: int = 3, ndf: int = 64, width: float = 1.0) -> None:
        super().__init__()
        d = _w(ndf, width)
        chans = [nc, d, d * 2, d * 4, d * 8]
        layers: list[nn.Module] = []
        for i in range(4):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1, bias=False))
            if i > 0:
                layers.append(nn.BatchNorm2d(chans[i + 1]))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
        layers += [nn.Conv2d(d * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class PatchGAN(nn.Module):
    """Isola et al. 2017 (pix2pix ``NLayerDiscriminator``, n_layers=3): Conv k=4/s=2/p=1
    three times, then two k=4/s=1/p=1 layers; a map of patch logits. Input: the condition
    and the image concatenated (6 channels)."""

    def __init__(self, input_nc: int = 6, ndf: int = 64, n_layers: int = 3, width: float = 1.0):
        super().__init__()
        d = _w(ndf, width)
        layers: list[nn.Module] = [nn.Conv2d(input_nc, d, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(d * prev, d * mult, 4, stride, 1, bias=False),
                nn.BatchNorm2d(d * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(d * mult, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:  # the 1x1/s2 projection shortcut: k < s, holes
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


def _he_init(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class ResNet18(nn.Module):
    """He et al. 2016, ResNet-18 as in torchvision (module names too): stem Conv k=7/s=2/p=3
    and MaxPool k=3/s=2/p=1, then four stages of two basic blocks; stages 2-4 open with a
    3x3/s2 convolution beside a 1x1/s2 projection shortcut; global average pool, linear."""

    def __init__(self, num_classes: int = 1000, width: float = 1.0) -> None:
        super().__init__()
        c = [_w(v, width) for v in (64, 128, 256, 512)]
        self.conv1 = nn.Conv2d(3, c[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(c[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], c[0]
        for i, cout in enumerate(c):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(_BasicBlock(cin, cout, stride), _BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c[3], num_classes)
        _he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class VGG11(nn.Module):
    """Simonyan & Zisserman 2015, configuration A (VGG-11): 3x3 convolutions with ReLU and
    five MaxPool k=2/s=2; the head is global average pooling and one linear layer (as in
    VGG-style classifiers for small images) instead of the three 4096-wide layers."""

    CONFIG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")

    def __init__(self, num_classes: int = 1000, in_ch: int = 3, width: float = 1.0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_ch
        for v in self.CONFIG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, _w(v, width), 3, padding=1), nn.ReLU(inplace=True)]
                cin = _w(v, width)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)
        _he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class UNetEncoder(nn.Module):
    """Ronneberger et al. 2015, the contracting path: two 3x3 convolutions (padded) per
    level, then a functional 2x2 max pool, four times; returns the bottleneck features."""

    def __init__(self, in_ch: int = 1, base: int = 64, width: float = 1.0) -> None:
        super().__init__()
        c = [_w(base * 2**i, width) for i in range(5)]

        self.down = nn.ModuleList(
            [_double_conv(in_ch, c[0])] + [_double_conv(c[i], c[i + 1]) for i in range(4)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, blk in enumerate(self.down):
            x = blk(x if i == 0 else nn.functional.max_pool2d(x, 2))
        return x


class Blur(nn.Module):
    """StyleGAN2's FIR low-pass ``[1, 3, 3, 1]`` (outer product, sum 1) as a fixed depthwise
    convolution, at stride 1 or 2 (Karras et al. 2020, ``upfirdn2d``)."""

    def __init__(self, channels: int, padding: int, stride: int = 1) -> None:
        super().__init__()
        taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
        kern = torch.outer(taps, taps) / taps.sum() ** 2
        self.conv = nn.Conv2d(channels, channels, 4, stride, padding, groups=channels, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(kern.expand(channels, 1, 4, 4))
        self.conv.weight.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class _DBlock(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(cin, cin, 3, padding=1)
        self.blur = Blur(cin, padding=2)  # n -> n + 1, then 3x3/s2 -> n / 2
        self.conv1 = nn.Conv2d(cin, cout, 3, 2, 0)
        self.skip = nn.Sequential(
            Blur(cin, padding=1, stride=2), nn.Conv2d(cin, cout, 1, bias=False)
        )
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.conv1(self.blur(self.act(self.conv0(x)))))
        return (self.skip(x) + y) * math.sqrt(0.5)


class StyleGAN2Discriminator(nn.Module):
    """Karras et al. 2020, the residual discriminator: from-RGB 1x1, then per resolution a
    block whose 3x3/s2 convolution and 1x1 skip both follow a [1, 3, 3, 1] blur; at 4x4 a
    3x3 convolution and two linear layers (minibatch-stddev and equalised learning rate
    left out: neither changes the geometry)."""

    def __init__(self, resolution: int = 64, nc: int = 3, width: float = 1.0) -> None:
        super().__init__()
        if resolution < 8 or resolution & (resolution - 1):
            raise ValueError(f"resolution must be a power of 2 >= 8, got {resolution}")

        def ch(res: int) -> int:
            return _w(min(32768 // res, 512), width)

        self.from_rgb = nn.Sequential(nn.Conv2d(nc, ch(resolution), 1), nn.LeakyReLU(0.2))
        blocks, res = [], resolution
        while res > 4:
            blocks.append(_DBlock(ch(res), ch(res // 2)))
            res //= 2
        self.blocks = nn.Sequential(*blocks)
        c = ch(4)
        self.epilogue = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(c * 16, c),
            nn.LeakyReLU(0.2),
            nn.Linear(c, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.epilogue(self.blocks(self.from_rgb(x)))


@dataclass(frozen=True)
class ZooEntry:
    """One architecture: how to build it, a typical input shape, and where it comes from."""

    name: str
    factory: Callable[..., nn.Module]
    input_shape: tuple[int, ...]
    source: str
    note: str
    direction: str = "forward"  # "backward": a downsampling stack, audited for its gradient


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry(
            "dcgan",
            DCGANGenerator,
            (1, 100, 1, 1),
            "Radford, Metz, Chintala, ICLR 2016; pytorch/examples dcgan",
            "ConvT k4/s1/p0 then four k4/s2/p1",
        ),
        ZooEntry(
            "pix2pixhd",
            lambda width=1.0: Pix2PixHDDecoder(width=width),
            (1, 1024, 8, 8),
            "Wang et al., CVPR 2018; NVIDIA/pix2pixHD networks.py GlobalGenerator",
            "four ConvT k3/s2/p1/op1: the known grid",
        ),
        ZooEntry(
            "unet",
            UNet,
            (1, 1, 64, 64),
            "Ronneberger, Fischer, Brox, MICCAI 2015",
            "four up-convolutions k2/s2",
        ),
        ZooEntry(
            "fcn8s",
            FCN8s,
            (1, 3, 128, 128),
            "Long, Shelhamer, Darrell, CVPR 2015",
            "bilinear-initialised ConvT k4/s2, k4/s2, k16/s8",
        ),
        ZooEntry(
            "espcn", ESPCN, (1, 1, 32, 32), "Shi et al., CVPR 2016", "conv + pixel shuffle x3"
        ),
        ZooEntry(
            "srgan",
            lambda width=1.0: SRGANUpsampler(width=width),
            (1, 64, 24, 24),
            "Ledig et al., CVPR 2017 (upsampling head)",
            "two conv + pixel shuffle x2",
        ),
        ZooEntry(
            "melgan",
            MelGANGenerator,
            (1, 80, 16),
            "Kumar et al., NeurIPS 2019",
            "ConvT1d k=2r/s=r, r = 8, 8, 2, 2",
        ),
        ZooEntry(
            "hifigan-v1",
            HiFiGANV1,
            (1, 80, 16),
            "Kong, Kim, Bae, NeurIPS 2020",
            "ConvT1d k16/s8, k16/s8, k4/s2, k4/s2",
        ),
        ZooEntry(
            "codec",
            CodecDecoder,
            (1, 128, 10),
            "Zeghidour et al. 2021 (SoundStream); Defossez et al. 2022 (EnCodec)",
            "ConvT1d k=2s at s = 8, 5, 4, 2",
        ),
        ZooEntry(
            "dcgan-d",
            DCGANDiscriminator,
            (1, 3, 64, 64),
            "Radford, Metz, Chintala, ICLR 2016; pytorch/examples dcgan",
            "four Conv k4/s2/p1, then k4/s1/p0",
            "backward",
        ),
        ZooEntry(
            "patchgan",
            PatchGAN,
            (1, 6, 128, 128),
            "Isola, Zhu, Zhou, Efros, CVPR 2017 (pix2pix NLayerDiscriminator)",
            "three Conv k4/s2/p1, two k4/s1/p1",
            "backward",
        ),
        ZooEntry(
            "resnet18",
            ResNet18,
            (1, 3, 128, 128),
            "He, Zhang, Ren, Sun, CVPR 2016; torchvision resnet18",
            "Conv k7/s2, MaxPool k3/s2, 3x3/s2 convs beside 1x1/s2 shortcuts (holes)",
            "backward",
        ),
        ZooEntry(
            "vgg11",
            VGG11,
            (1, 3, 128, 128),
            "Simonyan, Zisserman, ICLR 2015 (configuration A)",
            "five MaxPool k2/s2",
            "backward",
        ),
        ZooEntry(
            "unet-encoder",
            UNetEncoder,
            (1, 1, 128, 128),
            "Ronneberger, Fischer, Brox, MICCAI 2015",
            "four functional max_pool2d k2/s2",
            "backward",
        ),
        ZooEntry(
            "stylegan2-d",
            StyleGAN2Discriminator,
            (1, 3, 64, 64),
            "Karras et al., CVPR 2020 (StyleGAN2 residual discriminator)",
            "[1, 3, 3, 1] blur before every 3x3/s2 conv and 1x1/s2 skip",
            "backward",
        ),
    ]
}


def check_width(width: Any) -> float:
    """The channel multiplier of the zoo's models: a number in (0, 4]."""
    width = check_float("width", width, positive=True)
    if width > 4:
        raise ValueError(f"width must be in (0, 4], got {width!r}")
    return width


def _check_entry(name: Any, width: Any) -> float:
    check_choice("name", name, sorted(ZOO))
    return check_width(width)


def build(name: str, *, width: float = 1.0, seed: int = 0) -> nn.Module:
    """Build a zoo model (seeded, eval mode).

    Examples
    --------
    >>> m = build("pix2pixhd", width=1 / 16)
    >>> tuple(m(torch.zeros(1, 64, 4, 4)).shape)
    (1, 3, 64, 64)
    """
    width = _check_entry(name, width)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int("seed", seed, minimum=0))
        model = ZOO[name].factory(width=width)
    return model.eval()


def input_shape(name: str, *, width: float = 1.0) -> tuple[int, ...]:
    """The zoo entry's typical input shape, with channels scaled like the model's.

    Examples
    --------
    >>> input_shape("resnet18"), input_shape("srgan", width=1 / 8)
    ((1, 3, 128, 128), (1, 8, 24, 24))
    """
    width = _check_entry(name, width)
    shape = ZOO[name].input_shape
    scaled_channels = {"pix2pixhd", "srgan"}
    if name in scaled_channels:
        return (shape[0], _w(shape[1], width), *shape[2:])
    return shape


def zoo_table():
    """The zoo as a DataFrame: name, direction, typical input shape, resampling, source."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "name": e.name,
                "direction": e.direction,
                "input_shape": e.input_shape,
                "resampling": e.note,
                "source": e.source,
            }
            for e in ZOO.values()
        ]
    )
