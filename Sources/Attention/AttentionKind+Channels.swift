import NN

/// How a zoo module takes an arbitrary channel count: the uniform channel-taking factory that a
/// backbone's attention slot calls (timm's `create_attn(kind, channels)`).
public enum ChannelFit: Sendable {
    /// These seed arguments all receive the channel count (none: the module adapts by itself).
    case fills([String])
    /// Seed arguments derived from the channel count (e.g. a group width of C/2).
    case derives(@Sendable (Int) -> [String: String])
    /// The module cannot sit in a channel-preserving slot; the reason says why.
    case refused(String)
}

extension AttentionKind {
    /// The slot contract of every registry entry (a test checks each case has one).
    public static let channelFits: [String: ChannelFit] = [
        "se": .fills(["channel"]), "cbam-block": .fills(["channel"]),
        // The paper's padding (padding = dilation): the seed's padding 1 shrinks any map but 7×7.
        "bam-block": .derives { c in ["channel": "\(c)", "paper_padding": "1"] },
        "eca": .fills([]), "sa": .fills(["channel"]), "psa-p": .fills(["channel"]), "psa-s": .fills(["channel"]),
        "sge": .fills([]), "coord": .fills(["inp", "oup"]), "gam": .fills(["in_channels", "out_channels"]),
        "se-block": .fills(["channel"]), "cbam": .fills(["planes"]),
        "bam": .refused("its channel gate pools an H×H window, so it needs H ≤ W < 2H, which backbone maps do not guarantee"),
        "sk": .fills(["channels"]), "sk-unit": .fills(["in_channels", "out_channels"]),
        "splat": .fills(["in_channels", "channels"]),
        "resnext-block": .derives { c in ["in_channels": "\(c)", "gw": "\(c / 2)"] },
        "eca-adaptive": .fills(["channel"]), "gsop": .fills(["channel"]), "srm": .fills(["channel"]),
        "gct": .fills(["num_channels"]), "fca": .fills(["channel"]), "enc": .fills(["in_channels"]),
        "rcan-ca": .fills(["channel"]), "dia": .fills(["channel"]), "soca": .fills(["channel"]),
        "dcn": .fills(["in_channels", "out_channels"]),
        "stn": .refused("it needs square maps of a fixed size (its localisation net ends in a fixed-size linear layer)"),
        "non-local": .fills(["in_channels"]),
        "vit": .refused("it maps an image to class logits (N, num_classes), not to a feature map"),
        "ram": .refused("it maps an image to class log-probabilities, not to a feature map"),
        "simam": .fills([]), "scse": .fills(["in_channels"]), "pam": .fills(["in_dim"]), "cam": .fills(["in_dim"]),
        "triplet": .fills([]), "strip-pool": .fills(["in_channels"]), "scconv": .fills(["inplanes", "planes"]),
        "gala": .fills(["channel"]), "bilinear": .fills(["inChannels", "outChannels"]),
        "highway": .refused("it maps (N, size) vectors, not (N, C, H, W) maps"),
        "ge": .fills(["channels"]), "condconv": .fills(["in_channels", "out_channels"]),
        "dynconv": .derives { c in ["in_planes": "\(c)", "out_planes": "\(c)", "padding": "1"] },
        "residual-attention": .fills(["in_channels", "out_channels"]),
        "tam": .refused("it needs the batch laid out as clips of n_segment frames"),
        "gltr": .refused("it maps (N, C, T) frame features to a video feature vector"),
        "psanet": .refused("it doubles the channels ((N, C, H, W) → (N, 2C, H, W))"),
    ]

    /// This entry's slot contract.
    public var channelFit: ChannelFit {
        guard let fit = Self.channelFits[rawValue] else { fatalError("AttentionKind: no ChannelFit for key \(rawValue)") }
        return fit
    }

    /// Builds the module for a `channels`-wide (N, C, H, W) map that it must return unchanged in
    /// shape, from the user's seed-named `arguments` plus the channel arguments this entry fills.
    /// Throws one line when the entry is refused, when the user sets an argument the slot fills,
    /// or when the arguments do not fit `channels` (the factory's own message).
    public func makeForChannels(_ channels: Int, arguments: [String: String] = [:]) throws -> ZooInstance {
        var values = arguments
        let filled: [String: String]
        switch channelFit {
        case .refused(let why): throw ModuleArgumentError("\(rawValue) cannot sit in a channel-preserving attention slot: \(why)")
        case .fills(let names): filled = Dictionary(uniqueKeysWithValues: names.map { ($0, "\(channels)") })
        case .derives(let f): filled = f(channels)
        }
        for (name, value) in filled {
            if let given = values[name], given != value, !Self.userSettable.contains(name) {
                throw ModuleArgumentError("argument \(name) of \(rawValue) is set by the attention slot (\(value) for \(channels) channels), not by the user")
            }
            if values[name] == nil { values[name] = value }
        }
        let instance = try entry.build(ModuleArguments(module: rawValue, values: values))
        if let why = instance.mismatch(for: [1, channels, 1 << 10, 1 << 10]), why.contains("axis 1") {
            throw ModuleArgumentError("\(rawValue) does not take \(channels) channels: \(why)")
        }
        return instance
    }

    /// Filled arguments the user may still override (options, not channel counts).
    static let userSettable: Set<String> = ["paper_padding", "padding"]
}
