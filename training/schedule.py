"""Noise schedule and the Decorruptor samplers in PyTorch (the runtime's TypeScript samplers
implement the same formulas; training/fixtures checks them against an independent numpy copy)."""
import torch
import torch.nn.functional as F

NUM_TRAIN_TIMESTEPS = 1000
BETA_START, BETA_END = 0.00085, 0.012
CM_TIMESTEPS = [999, 759, 499, 259]


def lcm_timesteps(steps: int, original_steps: int = 50, num_train: int = NUM_TRAIN_TIMESTEPS) -> list[int]:
    """The runtime's LCM schedule for `steps` (src/model/samplers/lcm.ts): every original_steps /
    steps-th of the skip-step timesteps, from the last. lcm_timesteps(4) == CM_TIMESTEPS."""
    k = num_train // original_steps
    return [(original_steps - int(i * original_steps / steps)) * k - 1 for i in range(steps)]
SIGMA_DATA, TIMESTEP_SCALING = 0.5, 10.0


def alphas_cumprod() -> torch.Tensor:
    """Stable Diffusion's "scaled linear" schedule."""
    betas = torch.linspace(BETA_START ** 0.5, BETA_END ** 0.5, NUM_TRAIN_TIMESTEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).float()


class EpsFromV(torch.nn.Module):
    """Wraps a v-predicting UNet so that it answers with epsilon, the bundle's contract.

    The editors are trained to predict v = sqrt(ab) eps - sqrt(1 - ab) x0: at t near 1000 an
    epsilon network must be accurate to 1/sqrt(ab) ~ 15x to give a usable clean estimate, which
    a small, briefly trained network is not; v stays well conditioned at both ends. Converting to
    epsilon inside the exported graph keeps the runtime's samplers unchanged (and exact: x0 is
    recovered algebraically).
    """

    def __init__(self, unet: torch.nn.Module):
        super().__init__()
        self.unet = unet
        self.register_buffer("ab", alphas_cumprod(), persistent=False)

    @property
    def config(self):
        return self.unet.config

    def forward(self, sample, cond, timestep, guidance=None):
        v = self.unet(sample, cond, timestep) if guidance is None else self.unet(sample, cond, timestep, guidance)
        a = self.ab[timestep.long()].view(-1, 1, 1, 1)
        return (1 - a).sqrt() * sample + a.sqrt() * v


def v_target(z0, noise, ab_t):
    a = ab_t.view(-1, 1, 1, 1)
    return a.sqrt() * noise - (1 - a).sqrt() * z0


def boundary_scalings(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Consistency-model c_skip, c_out: exactly identity at t = 0."""
    scaled = t.float() * TIMESTEP_SCALING
    c_skip = SIGMA_DATA ** 2 / (scaled ** 2 + SIGMA_DATA ** 2)
    c_out = scaled / torch.sqrt(scaled ** 2 + SIGMA_DATA ** 2)
    return c_skip, c_out


def predict_x0(z_t, eps, ab_t):
    ab_t = ab_t.view(-1, 1, 1, 1)
    return (z_t - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()


def guided_eps(unet, z_t, cond, t, image_scale):
    """Two-way InstructPix2Pix image guidance, one batch of 2: eps_null + s * (eps_img - eps_null)."""
    b = z_t.shape[0]
    eps = unet(torch.cat([z_t, z_t]), torch.cat([cond, torch.zeros_like(cond)]), torch.cat([t, t]))
    eps_img, eps_null = eps[:b], eps[b:]
    return eps_null + image_scale.view(-1, 1, 1, 1) * (eps_img - eps_null)


@torch.no_grad()
def ddim_sample(unet, cond, noise, steps=20, image_guidance=(1.8, 0.0)):
    """DDIM (eta 0), leading spacing, 2-way image guidance decaying as sqrt(linspace(start^2, end^2))."""
    ab = alphas_cumprod().to(cond.device)
    stride = NUM_TRAIN_TIMESTEPS // steps
    timesteps = list(range(0, NUM_TRAIN_TIMESTEPS, stride))[::-1]
    scales = torch.sqrt(torch.linspace(image_guidance[0] ** 2, image_guidance[1] ** 2, steps, device=cond.device))
    z = noise
    for i, t in enumerate(timesteps):
        tt = torch.full((z.shape[0],), t, dtype=torch.float32, device=cond.device)
        eps = guided_eps(unet, z, cond, tt, scales[i].expand(z.shape[0]))
        x0 = predict_x0(z, eps, ab[t].expand(z.shape[0]))
        ab_prev = ab[t - stride] if t - stride >= 0 else torch.tensor(1.0)
        z = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
    return z


@torch.no_grad()
def low_pass(latent: torch.Tensor, factor: int) -> torch.Tensor:
    """The latent's coarse structure: averaged over factor x factor cells, bilinearly upsampled."""
    coarse = F.avg_pool2d(latent, factor)
    return F.interpolate(coarse, size=latent.shape[-2:], mode="bilinear", align_corners=False)


def lcm_sample(unet, cond, noises, timesteps=CM_TIMESTEPS, guidance=1.1, deterministic=False, structure=None):
    """Multi-step consistency sampling: predict the clean latent, re-noise to the next timestep
    (with noises[i + 1], or with the noise the step implies when `deterministic`).

    `structure = (weight, factor, target)`: after every step, pull the clean estimate's low
    frequencies toward those of `target` (the input's scaled latent) by `weight` (DDA's idea: most
    corruptions leave the coarse structure of the image where it was)."""
    ab = alphas_cumprod().to(cond.device)
    b = cond.shape[0]
    w = torch.full((b,), guidance, device=cond.device)
    z = noises[0]
    for i, t in enumerate(timesteps):
        tt = torch.full((b,), t, dtype=torch.float32, device=cond.device)
        eps = unet(z, cond, tt, w)
        c_skip, c_out = boundary_scalings(tt)
        denoised = c_skip.view(-1, 1, 1, 1) * z + c_out.view(-1, 1, 1, 1) * predict_x0(z, eps, ab[t].expand(b))
        if structure is not None:
            weight, factor, target = structure
            denoised = denoised + weight * (low_pass(target, factor) - low_pass(denoised, factor))
        if i + 1 < len(timesteps):
            ab_next = ab[timesteps[i + 1]]
            renoise = (z - ab[t].sqrt() * denoised) / (1 - ab[t]).sqrt() if deterministic else noises[i + 1]
            z = ab_next.sqrt() * denoised + (1 - ab_next).sqrt() * renoise
    return denoised
