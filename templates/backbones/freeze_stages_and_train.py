    def _freeze_stages(self):
        for i in range(self.frozen_stages):
            for module in (self.downsample_layers[i], self.stages[i]):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode=True):
        """Set the train mode, keeping frozen stages and norms (if
        ``norm_eval``) in eval mode.

        Args:
            mode (bool): Train mode (True) or eval mode (False).

        Returns:
            nn.Module: self.
        """
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, NORM_LAYER_TYPES):
                    module.eval()
        return self
