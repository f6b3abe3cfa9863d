/// Backbones (catalogue C1–C5): torchvision's ResNet family, the seeds' named backbones and the
/// attention slot. See docs/backbones.md.
public enum Backbones {}
