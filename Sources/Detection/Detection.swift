/// Detection: primitives (RoIAlign, anchors, box coding, matching, sampling), Faster R-CNN with
/// FPN, COCO-format data and training. See docs/detection.md.
public enum Detection {}
