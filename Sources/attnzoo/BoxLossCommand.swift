import ArgumentParser
import Boxes
import Foundation
import TensorCore
import TensorIO

/// `attnzoo box-loss`: per-box regression losses and their gradients.
struct BoxLossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "box-loss",
        abstract: "Per-box IoU-family regression losses of predicted vs target boxes, optionally with gradients.")

    @Option(help: "Loss: iou, giou, diou, ciou or eiou.") var kind: IoUKind
    @Option(help: "IoU loss mode (kind iou): linear 1−IoU, square 1−IoU², log −ln IoU.") var mode: IoULossMode?
    @Option(help: "CIoU α convention (kind ciou): torchvision, mmdet, author or grad.") var alpha: CIoUAlpha?
    @Option(help: "Predicted boxes, N×4 .npy.") var pred: String
    @Option(help: "Target boxes, N×4 .npy.") var target: String
    @Option(help: "Box layout: xyxy, xywh, cxcywh or yxyx.") var format: BoxFormat = .xyxy
    @Option(help: "Per-box losses, float32 .npy of length N.") var output: String
    @Option(help: "Gradient of the sum of the losses with respect to --pred (N×4 float32 .npy).") var grads: String?

    func run() throws {
        if mode != nil, kind != .iou { throw CLIError("--mode applies only to --kind iou") }
        if alpha != nil, kind != .ciou { throw CLIError("--alpha applies only to --kind ciou") }
        let p = try BoxFiles.boxes(pred, option: "--pred", format: format)
        let t = try BoxFiles.boxes(target, option: "--target", format: format)
        let n = p.count / 4
        guard t.count / 4 == n else { throw CLIError("--pred has \(n) boxes but --target has \(t.count / 4)") }
        let x = Tensor(p, shape: [n, 4], requiresGrad: grads != nil)
        let loss = try BoxFiles.run {
            try boxLoss(x, Tensor(t, shape: [n, 4]), kind: kind, mode: mode ?? .linear, alpha: alpha ?? .torchvision,
                        format: format, reduction: .none)
        }
        try BoxFiles.write(HostArray(float32: loss.scalars, shape: [n]), to: output, option: "--output")
        if let grads {
            loss.sum().backward()
            let g = x.grad?.scalars ?? [Float](repeating: 0, count: 4 * n)
            try BoxFiles.write(HostArray(float32: g, shape: [n, 4]), to: grads, option: "--grads")
        }
    }
}
